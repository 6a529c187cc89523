;; accept: equal function types (the same parameter names and types, result)
(component
  (type $p (record (field "a" u32) (field "b" (list string))))
  (import "f" (func $f (param "x" u32) (param "p" $p) (result (option string))))
  (component $c
    (type $q (record (field "a" u32) (field "b" (list string))))
    (import "f" (func (param "x" u32) (param "p" $q) (result (option string)))))
  (instance (instantiate $c (with "f" (func $f)))))
