;; reject: argument "f" does not match the import's type: result: field "a": list element: s8, expected u8
(component
  (type $p (record (field "a" (list s8))))
  (import "f" (func $f (result $p)))
  (component $c
    (type $q (record (field "a" (list u8))))
    (import "f" (func (result $q))))
  (instance (instantiate $c (with "f" (func $f)))))
