;; reject: argument "f" does not match the import's type: parameter "p": field 1 is named "c", expected "b"
(component
  (type $p (record (field "a" u32) (field "c" u32)))
  (import "f" (func $f (param "p" $p)))
  (component $c
    (type $q (record (field "a" u32) (field "b" u32)))
    (import "f" (func (param "p" $q))))
  (instance (instantiate $c (with "f" (func $f)))))
