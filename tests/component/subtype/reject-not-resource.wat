;; reject: argument "r" does not match the import's type: a record, expected a resource type
(component
  (type $t (record (field "a" u32)))
  (component $c (import "r" (type (sub resource))))
  (instance (instantiate $c (with "r" (type $t)))))
