;; A recursion N calls deep that returns N, for --max-stack; and identity
;; functions for the text forms of --invoke arguments and results.
(module
  (func $depth (export "depth") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get $n) (i32.const 1)))))))
  (func (export "i32") (param i32) (result i32) (local.get 0))
  (func (export "i64") (param i64) (result i64) (local.get 0))
  (func (export "f32") (param f32) (result f32) (local.get 0))
  (func (export "f64") (param f64) (result f64) (local.get 0))
  (func (export "f32bits") (param f32) (result i32) (i32.reinterpret_f32 (local.get 0)))
  (func (export "f64bits") (param f64) (result i64) (i64.reinterpret_f64 (local.get 0)))
  (func (export "v128") (param v128) (result v128) (local.get 0))
  (func (export "add4") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
  (memory 4))
