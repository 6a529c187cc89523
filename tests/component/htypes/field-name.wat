;; wall-clock.now returning a datetime whose first field is named secs.
;; Instantiation must refuse it with a link error naming the first difference
;; (tests/cli/component_htypes.sh).
(component
  (import "wasi:clocks/wall-clock@0.2.0" (instance $w
    (type $dt (record (field "secs" u64) (field "nanoseconds" u32)))
    (export "datetime" (type $d (eq $dt)))
    (export "now" (func (result $d)))))
  (core module $m (func (export "run") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $ri (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $ri))
)
