;; reject: argument "f" does not match the import's type: parameter "x": u64, expected u32
(component
  (import "f" (func $f (param "x" u64)))
  (component $c (import "f" (func (param "x" u32))))
  (instance (instantiate $c (with "f" (func $f)))))
