;; accept: a type import naming a function type, supplied by an equal one
(component
  (type $f (func (param "a" string) (result u32)))
  (component $c
    (type $g (func (param "a" string) (result u32)))
    (import "t" (type (eq $g))))
  (instance (instantiate $c (with "t" (type $f)))))
