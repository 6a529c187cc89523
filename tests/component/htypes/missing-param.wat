;; [method]output-stream.write declared without its contents.
;; Instantiation must refuse it with a link error naming the first difference
;; (tests/cli/component_htypes.sh).
(component
  (import "wasi:io/streams@0.2.0" (instance $s
    (export "output-stream" (type $os (sub resource)))
    (type $b (borrow $os))
    (export "[method]output-stream.write" (func (param "self" $b)))))
  (core module $m (func (export "run") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $ri (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $ri))
)
