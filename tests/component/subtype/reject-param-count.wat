;; reject: argument "f" does not match the import's type: 2 parameters, expected 1
(component
  (import "f" (func $f (param "x" u32) (param "y" u32)))
  (component $c (import "f" (func (param "x" u32))))
  (instance (instantiate $c (with "f" (func $f)))))
