;; [method]pollable.ready declared without its bool result.
;; Instantiation must refuse it with a link error naming the first difference
;; (tests/cli/component_htypes.sh).
(component
  (import "wasi:io/poll@0.2.0" (instance $p
    (export "pollable" (type $pl (sub resource)))
    (type $b (borrow $pl))
    (export "[method]pollable.ready" (func (param "self" $b)))))
  (core module $m (func (export "run") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $ri (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $ri))
)
