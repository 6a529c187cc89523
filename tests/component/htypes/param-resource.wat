;; filesystem-error-code declared taking a borrow of an input-stream, not an error.
;; Instantiation must refuse it with a link error naming the first difference
;; (tests/cli/component_htypes.sh).
(component
  (import "wasi:io/streams@0.2.0" (instance $s
    (export "input-stream" (type (sub resource)))))
  (alias export $s "input-stream" (type $in))
  (import "wasi:filesystem/types@0.2.0" (instance $t
    (alias outer 1 $in (type $in0))
    (export "input-stream" (type $i (eq $in0)))
    (type $b (borrow $i))
    (type $r (option u8))
    (export "filesystem-error-code" (func (param "err" $b) (result $r)))))
  (core module $m (func (export "run") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $ri (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $ri))
)
