;; reject: argument "i" does not match the import's type: export "f" is an instance, expected a func
(component
  (import "i" (instance $i (export "f" (instance))))
  (component $c (import "i" (instance (export "f" (func)))))
  (instance (instantiate $c (with "i" (instance $i)))))
