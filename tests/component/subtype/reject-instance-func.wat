;; reject: argument "i" does not match the import's type: export "f": parameter "s": list, expected string
(component
  (import "i" (instance $i (export "f" (func (param "s" (list u8))))))
  (component $c (import "i" (instance (export "f" (func (param "s" string))))))
  (instance (instantiate $c (with "i" (instance $i)))))
