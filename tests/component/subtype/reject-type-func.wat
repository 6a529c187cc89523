;; reject: argument "t" does not match the import's type: parameter 0 is named "b", expected "a"
(component
  (type $f (func (param "b" string) (result u32)))
  (component $c
    (type $g (func (param "a" string) (result u32)))
    (import "t" (type (eq $g))))
  (instance (instantiate $c (with "t" (type $f)))))
