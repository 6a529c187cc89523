;; reject: argument "f" does not match the import's type: parameter "o": result, expected option
(component
  (import "f" (func $f (param "o" (result u32))))
  (component $c (import "f" (func (param "o" (option u32)))))
  (instance (instantiate $c (with "f" (func $f)))))
