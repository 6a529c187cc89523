;; get-random-bytes with its parameter named n instead of len.
;; Instantiation must refuse it with a link error naming the first difference
;; (tests/cli/component_htypes.sh).
(component
  (import "wasi:random/random@0.2.0" (instance $r
    (type $l (list u8))
    (export "get-random-bytes" (func (param "n" u64) (result $l)))))
  (core module $m (func (export "run") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $ri (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $ri))
)
