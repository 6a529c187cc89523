;; reject: argument "t" does not match the import's type: a resource type, expected a record
(component
  (import "r" (type $r (sub resource)))
  (component $c
    (type $w (record (field "a" u32)))
    (import "t" (type (eq $w))))
  (instance (instantiate $c (with "t" (type $r)))))
