;; accept: a component argument that imports less and exports more
(component
  (import "comp" (component $k
    (import "a" (func))
    (export "x" (func))
    (export "y" (func))))
  (component $c
    (import "comp" (component
      (import "a" (func))
      (import "b" (func))
      (export "x" (func)))))
  (instance (instantiate $c (with "comp" (component $k)))))
