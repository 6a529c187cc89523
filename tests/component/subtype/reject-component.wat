;; reject: argument "comp" does not match the import's type: no func export "x"
(component
  (import "comp" (component $k (export "y" (func))))
  (component $c (import "comp" (component (export "x" (func)))))
  (instance (instantiate $c (with "comp" (component $k)))))
