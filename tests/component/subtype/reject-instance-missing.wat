;; reject: argument "i" does not match the import's type: no export "g"
(component
  (import "i" (instance $i (export "f" (func))))
  (component $c (import "i" (instance (export "f" (func)) (export "g" (func)))))
  (instance (instantiate $c (with "i" (instance $i)))))
