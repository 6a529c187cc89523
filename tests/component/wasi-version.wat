;; Imports wasi:random/random at 0.3.0, which is not semver-compatible with
;; the 0.2 host: instantiation must fail naming it (tests/cli/component_wasi.sh).
(component
  (import "wasi:random/random@0.3.0" (instance $random
    (export "get-random-u64" (func (result u64)))))
  (core func $r (canon lower (func $random "get-random-u64")))
  (core module $m
    (import "wasi" "r" (func (result i64)))
    (func (export "run") (result i32) (i32.const 0)))
  (core instance $w (export "r" (func $r)))
  (core instance $i (instantiate $m (with "wasi" (instance $w))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $ri (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $ri))
)
