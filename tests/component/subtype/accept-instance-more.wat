;; accept: an instance with more exports than the import's instance type lists
(component
  (type $u (tuple u8))
  (import "i" (instance $i
    (export "g" (func (result u32)))
    (export "f" (func (param "s" string)))
    (export "t" (type (eq $u)))))
  (component $c
    (import "i" (instance (export "f" (func (param "s" string))))))
  (instance (instantiate $c (with "i" (instance $i)))))
