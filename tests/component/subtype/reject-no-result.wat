;; reject: argument "f" does not match the import's type: no result, expected one
(component
  (import "f" (func $f))
  (component $c (import "f" (func (result u32))))
  (instance (instantiate $c (with "f" (func $f)))))
