;; reject: argument "f" does not match the import's type: parameter "x": a handle of another resource type
(component
  (import "r" (type $r (sub resource)))
  (import "s" (type $s (sub resource)))
  (import "f" (func $f (param "x" (own $s))))
  (component $c
    (import "r" (type $r (sub resource)))
    (import "f" (func (param "x" (own $r)))))
  (instance (instantiate $c (with "r" (type $r)) (with "f" (func $f)))))
