;; reject: argument "t" does not match the import's type: enum with 3 labels, expected 2
(component
  (type $e (enum "a" "b" "c"))
  (component $c
    (type $w (enum "a" "b"))
    (import "t" (type (eq $w))))
  (instance (instantiate $c (with "t" (type $e)))))
