;; constant_divisors.wast — division and remainder by constants, where the AOT
;; tier leaves out the checks a constant makes redundant (zero divisor, -1).
;; Results worked out by hand; ctest runs this file in both tiers.
(module
  (func (export "d10") (param i32) (result i32) (i32.div_s (local.get 0) (i32.const 10)))
  (func (export "r7") (param i32) (result i32) (i32.rem_s (local.get 0) (i32.const -7)))
  (func (export "dm1") (param i32) (result i32) (i32.div_s (local.get 0) (i32.const -1)))
  (func (export "rm1") (param i64) (result i64) (i64.rem_s (local.get 0) (i64.const -1)))
  (func (export "d0") (param i32) (result i32) (i32.div_u (local.get 0) (i32.const 0)))
  (func (export "du3") (param i64) (result i64) (i64.div_u (local.get 0) (i64.const 3)))
  (func (export "dk_m1_32in64") (param i64) (result i64) (i64.div_s (local.get 0) (i64.const 0xffffffff)))
)
(assert_return (invoke "d10" (i32.const -95)) (i32.const -9))
(assert_return (invoke "r7" (i32.const -95)) (i32.const -4))
(assert_trap (invoke "dm1" (i32.const 0x80000000)) "integer overflow")
(assert_return (invoke "dm1" (i32.const 5)) (i32.const -5))
(assert_return (invoke "rm1" (i64.const 0x8000000000000000)) (i64.const 0))
(assert_trap (invoke "d0" (i32.const 1)) "integer divide by zero")
(assert_return (invoke "du3" (i64.const -1)) (i64.const 0x5555555555555555))
(assert_return (invoke "dk_m1_32in64" (i64.const 0x1fffffffe)) (i64.const 2))
