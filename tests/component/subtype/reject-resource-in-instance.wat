;; reject: argument "io" does not match the import's type: export "make": result: a handle of another resource type
(component
  (import "io" (instance $io
    (export "a" (type $a (sub resource)))
    (export "b" (type $b (sub resource)))
    (export "make" (func (result (own $a))))))
  (component $c
    (import "io" (instance
      (export "b" (type $b (sub resource)))
      (export "a" (type $a (sub resource)))
      (export "make" (func (result (own $b)))))))
  (instance (instantiate $c (with "io" (instance $io)))))
