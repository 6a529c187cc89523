;; accept: abstract resources replaced by the supplied ones in later imports,
;; inside an interface instance too
(component
  (import "r" (type $r (sub resource)))
  (import "s" (type $s (sub resource)))
  (import "mk" (func $mk (param "x" (borrow $r)) (result (own $s))))
  (import "io" (instance $io
    (export "stream" (type $st (sub resource)))
    (export "[method]stream.read" (func (param "self" (borrow $st)) (result (list u8))))
    (export "extra" (func))))
  (component $c
    (import "r" (type $r (sub resource)))
    (import "s" (type $s (sub resource)))
    (import "mk" (func (param "x" (borrow $r)) (result (own $s))))
    (import "io" (instance
      (export "stream" (type $st (sub resource)))
      (export "[method]stream.read" (func (param "self" (borrow $st)) (result (list u8)))))))
  (instance (instantiate $c (with "r" (type $r)) (with "s" (type $s)) (with "mk" (func $mk)) (with "io" (instance $io)))))
