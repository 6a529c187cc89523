;; accept: a value type import (eq bound) supplied by a structurally equal type
(component
  (type $v (variant (case "a" u32) (case "b") (case "c" (tuple f64 char))))
  (component $c
    (type $w (variant (case "a" u32) (case "b") (case "c" (tuple f64 char))))
    (import "t" (type (eq $w))))
  (instance (instantiate $c (with "t" (type $v)))))
