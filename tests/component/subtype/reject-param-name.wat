;; reject: argument "f" does not match the import's type: parameter 0 is named "y", expected "x"
(component
  (import "f" (func $f (param "y" u32)))
  (component $c (import "f" (func (param "x" u32))))
  (instance (instantiate $c (with "f" (func $f)))))
