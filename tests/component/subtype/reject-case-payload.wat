;; reject: argument "t" does not match the import's type: case "b" has a payload, expected none
(component
  (type $v (variant (case "a" u32) (case "b" u8)))
  (component $c
    (type $w (variant (case "a" u32) (case "b")))
    (import "t" (type (eq $w))))
  (instance (instantiate $c (with "t" (type $v)))))
