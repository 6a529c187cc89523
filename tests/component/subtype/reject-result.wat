;; reject: argument "f" does not match the import's type: result: string, expected u32
(component
  (import "f" (func $f (result string)))
  (component $c (import "f" (func (result u32))))
  (instance (instantiate $c (with "f" (func $f)))))
