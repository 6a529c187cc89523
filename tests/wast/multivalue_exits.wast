;; multivalue_exits.wast — every way several values leave a function or a
;; block, with results that overlap the parameters and locals they are read
;; from. The interpreter moves results into their slots as one parallel move
;; (src/interp/translate.c, move_values): a swap, a rotation or a duplicate
;; must read every source before it is overwritten. Expected values are worked
;; out by hand from the arguments. ctest runs this file in both tiers.

(module
  ;; ---- return ----
  (func (export "ret_const_param") (param i32) (result i32 i32)
    i32.const 2 local.get 0 return)
  (func (export "ret_swap") (param i32 i32) (result i32 i32)
    local.get 1 local.get 0 return)
  (func (export "ret_rot_left") (param i32 i32 i32) (result i32 i32 i32)
    local.get 1 local.get 2 local.get 0 return)
  (func (export "ret_rot_right") (param i32 i32 i32) (result i32 i32 i32)
    local.get 2 local.get 0 local.get 1 return)
  (func (export "ret_dup_first") (param i32 i32) (result i32 i32 i32)
    local.get 0 local.get 0 local.get 1 return)
  (func (export "ret_dup_last") (param i32 i32) (result i32 i32)
    local.get 1 local.get 1 return)
  (func (export "ret_reverse4") (param i32 i32 i32 i32) (result i32 i32 i32 i32)
    local.get 3 local.get 2 local.get 1 local.get 0 return)
  ;; the last value is computed: its instruction must not write slot 1
  ;; before param 1 is read
  (func (export "ret_swap_computed") (param i32 i32) (result i32 i32)
    local.get 1 local.get 0 i32.const 1 i32.add return)
  (func (export "ret_computed_first") (param i32 i32) (result i32 i32)
    local.get 1 i32.const 10 i32.mul local.get 0 return)
  ;; declared locals and parameters mixed
  (func (export "ret_locals") (param i32) (result i32 i32 i32)
    (local i32 i32)
    (local.set 1 (i32.add (local.get 0) (i32.const 1)))
    (local.set 2 (i32.add (local.get 0) (i32.const 2)))
    local.get 2 local.get 0 local.get 1 return)
  ;; types of different widths: the slots of a v128 overlap two others
  (func (export "ret_swap_i64_f64") (param i64 f64) (result f64 i64)
    local.get 1 local.get 0 return)
  (func (export "ret_v128_up") (param v128 i32) (result i32 v128)
    local.get 1 local.get 0 return)
  (func (export "ret_v128_down") (param i32 v128) (result v128 i32)
    local.get 1 local.get 0 return)
  (func (export "ret_v128_pair_swap") (param v128 v128) (result v128 v128)
    local.get 1 local.get 0 return)

  ;; ---- the function's label: br, br_if, br_table, end ----
  (func (export "br_swap") (param i32 i32) (result i32 i32)
    local.get 1 local.get 0 br 0)
  (func (export "end_swap") (param i32 i32) (result i32 i32)
    local.get 1 local.get 0)
  (func (export "end_rot") (param i32 i32 i32) (result i32 i32 i32)
    local.get 1 local.get 2 local.get 0)
  ;; taken: (b, a); not taken: (7, 8)
  (func (export "br_if_swap") (param i32 i32 i32) (result i32 i32)
    local.get 1 local.get 0 local.get 2 br_if 0
    drop drop i32.const 7 i32.const 8)
  (func (export "br_if_rot") (param i32 i32 i32) (result i32 i32 i32)
    local.get 2 local.get 0 local.get 1 local.get 0 br_if 0
    drop drop drop i32.const 7 i32.const 8 i32.const 9)
  ;; index 0: out of the block (second result + 100); 1 and beyond: out of
  ;; the function
  (func (export "br_table_swap") (param i32 i32 i32) (result i32 i32)
    (block (result i32 i32)
      local.get 1 local.get 0 local.get 2 br_table 0 1 1)
    i32.const 100 i32.add)
  (func (export "br_table_rot") (param i32 i32 i32 i32) (result i32 i32 i32)
    (block (result i32 i32 i32)
      local.get 2 local.get 0 local.get 1 local.get 3 br_table 1 0)
    i32.const 100 i32.add)

  ;; ---- out of nested blocks ----
  (func (export "br_nested") (param i32 i32) (result i32 i32)
    (block (result i32)
      (block (result i32)
        local.get 1 local.get 0 br 2))
    drop i32.const 0 i32.const 0)
  (func (export "br_if_nested") (param i32 i32 i32) (result i32 i32)
    (block
      (block
        local.get 1 local.get 0 local.get 2 br_if 2
        drop drop))
    i32.const 5 i32.const 6)
  (func (export "br_table_nested") (param i32 i32 i32 i32) (result i32 i32 i32)
    (block (result i32 i32 i32)
      (block (result i32 i32 i32)
        local.get 1 local.get 2 local.get 0 local.get 3 br_table 0 1 2)
      i32.const 1000 i32.add)
    i32.const 100 i32.add)
  ;; a block's results overlapping the values below it
  (func (export "block_results") (param i32 i32) (result i32 i32 i32)
    local.get 0
    (block (result i32 i32)
      local.get 1 local.get 0 br 0))
  (func (export "block_params_swap") (param i32 i32) (result i32 i32)
    local.get 0 local.get 1
    (block (param i32 i32) (result i32 i32)
      local.set 0 local.set 1
      local.get 0 local.get 1 br 0))

  ;; ---- loops with params ----
  ;; (a, b) -> (b, a + b), n times, then the pair: fib(n), fib(n + 1)
  (func (export "loop_fib") (param i32) (result i32 i32)
    (local i32 i32)
    i32.const 0 i32.const 1
    (loop (param i32 i32) (result i32 i32)
      local.set 2 local.set 1
      local.get 2
      (i32.add (local.get 1) (local.get 2))
      (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
  ;; the loop's params re-entered in rotated order straight from locals
  (func (export "loop_rot") (param i32 i32 i32 i32) (result i32 i32 i32)
    local.get 0 local.get 1 local.get 2
    (loop (param i32 i32 i32) (result i32 i32 i32)
      local.set 2 local.set 1 local.set 0
      local.get 1 local.get 2 local.get 0
      (br_if 0 (local.tee 3 (i32.sub (local.get 3) (i32.const 1))))))

  ;; ---- if/else merges and calls ----
  (func (export "if_merge") (param i32 i32 i32) (result i32 i32)
    local.get 0 local.get 1
    (if (param i32 i32) (result i32 i32) (local.get 2)
      (then local.set 0 local.set 1 local.get 0 local.get 1)
      (else drop drop local.get 1 local.get 1)))
  (func $three (param i32 i32 i32) (result i32 i32 i32)
    local.get 2 local.get 1 local.get 0)
  (func (export "call_results") (param i32 i32 i32) (result i32 i32 i32)
    (call $three (local.get 1) (local.get 2) (local.get 0))
    return)
  (func (export "call_then_swap") (param i32 i32) (result i32 i32 i32)
    (local i32)
    (call $three (local.get 0) (local.get 1) (i32.const 3))
    local.set 2 local.set 0 local.set 1
    local.get 2 local.get 0 local.get 1)
)

(assert_return (invoke "ret_const_param" (i32.const 5)) (i32.const 2) (i32.const 5))
(assert_return (invoke "ret_swap" (i32.const 1) (i32.const 2)) (i32.const 2) (i32.const 1))
(assert_return (invoke "ret_rot_left" (i32.const 1) (i32.const 2) (i32.const 3))
  (i32.const 2) (i32.const 3) (i32.const 1))
(assert_return (invoke "ret_rot_right" (i32.const 1) (i32.const 2) (i32.const 3))
  (i32.const 3) (i32.const 1) (i32.const 2))
(assert_return (invoke "ret_dup_first" (i32.const 4) (i32.const 9))
  (i32.const 4) (i32.const 4) (i32.const 9))
(assert_return (invoke "ret_dup_last" (i32.const 4) (i32.const 9)) (i32.const 9) (i32.const 9))
(assert_return (invoke "ret_reverse4" (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4))
  (i32.const 4) (i32.const 3) (i32.const 2) (i32.const 1))
(assert_return (invoke "ret_swap_computed" (i32.const 10) (i32.const 20)) (i32.const 20) (i32.const 11))
(assert_return (invoke "ret_computed_first" (i32.const 3) (i32.const 4)) (i32.const 40) (i32.const 3))
(assert_return (invoke "ret_locals" (i32.const 10)) (i32.const 12) (i32.const 10) (i32.const 11))
(assert_return (invoke "ret_swap_i64_f64" (i64.const -7) (f64.const 2.5)) (f64.const 2.5) (i64.const -7))
(assert_return (invoke "ret_v128_up" (v128.const i32x4 1 2 3 4) (i32.const 77))
  (i32.const 77) (v128.const i32x4 1 2 3 4))
(assert_return (invoke "ret_v128_down" (i32.const 77) (v128.const i32x4 1 2 3 4))
  (v128.const i32x4 1 2 3 4) (i32.const 77))
(assert_return (invoke "ret_v128_pair_swap" (v128.const i64x2 1 2) (v128.const i64x2 3 4))
  (v128.const i64x2 3 4) (v128.const i64x2 1 2))

(assert_return (invoke "br_swap" (i32.const 1) (i32.const 2)) (i32.const 2) (i32.const 1))
(assert_return (invoke "end_swap" (i32.const 1) (i32.const 2)) (i32.const 2) (i32.const 1))
(assert_return (invoke "end_rot" (i32.const 1) (i32.const 2) (i32.const 3))
  (i32.const 2) (i32.const 3) (i32.const 1))
(assert_return (invoke "br_if_swap" (i32.const 1) (i32.const 2) (i32.const 1)) (i32.const 2) (i32.const 1))
(assert_return (invoke "br_if_swap" (i32.const 1) (i32.const 2) (i32.const 0)) (i32.const 7) (i32.const 8))
(assert_return (invoke "br_if_rot" (i32.const 1) (i32.const 2) (i32.const 3))
  (i32.const 3) (i32.const 1) (i32.const 2))
(assert_return (invoke "br_if_rot" (i32.const 0) (i32.const 2) (i32.const 3))
  (i32.const 7) (i32.const 8) (i32.const 9))
(assert_return (invoke "br_table_swap" (i32.const 1) (i32.const 2) (i32.const 0)) (i32.const 2) (i32.const 101))
(assert_return (invoke "br_table_swap" (i32.const 1) (i32.const 2) (i32.const 1)) (i32.const 2) (i32.const 1))
(assert_return (invoke "br_table_swap" (i32.const 1) (i32.const 2) (i32.const 9)) (i32.const 2) (i32.const 1))
(assert_return (invoke "br_table_rot" (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 0))
  (i32.const 3) (i32.const 1) (i32.const 2))
(assert_return (invoke "br_table_rot" (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 1))
  (i32.const 3) (i32.const 1) (i32.const 102))

(assert_return (invoke "br_nested" (i32.const 1) (i32.const 2)) (i32.const 2) (i32.const 1))
(assert_return (invoke "br_if_nested" (i32.const 1) (i32.const 2) (i32.const 1)) (i32.const 2) (i32.const 1))
(assert_return (invoke "br_if_nested" (i32.const 1) (i32.const 2) (i32.const 0)) (i32.const 5) (i32.const 6))
(assert_return (invoke "br_table_nested" (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 0))
  (i32.const 2) (i32.const 3) (i32.const 1101))
(assert_return (invoke "br_table_nested" (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 1))
  (i32.const 2) (i32.const 3) (i32.const 101))
(assert_return (invoke "br_table_nested" (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 2))
  (i32.const 2) (i32.const 3) (i32.const 1))
(assert_return (invoke "block_results" (i32.const 1) (i32.const 2))
  (i32.const 1) (i32.const 2) (i32.const 1))
(assert_return (invoke "block_params_swap" (i32.const 1) (i32.const 2)) (i32.const 2) (i32.const 1))

;; fib: (0,1) (1,1) (1,2) (2,3) (3,5) (5,8): n = 5 iterations
(assert_return (invoke "loop_fib" (i32.const 5)) (i32.const 5) (i32.const 8))
(assert_return (invoke "loop_fib" (i32.const 1)) (i32.const 1) (i32.const 1))
;; each iteration (x, y, z) -> (y, z, x); 4 iterations = one rotation
(assert_return (invoke "loop_rot" (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4))
  (i32.const 2) (i32.const 3) (i32.const 1))
(assert_return (invoke "loop_rot" (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 3))
  (i32.const 1) (i32.const 2) (i32.const 3))

(assert_return (invoke "if_merge" (i32.const 1) (i32.const 2) (i32.const 1)) (i32.const 2) (i32.const 1))
(assert_return (invoke "if_merge" (i32.const 1) (i32.const 2) (i32.const 0)) (i32.const 2) (i32.const 2))
(assert_return (invoke "call_results" (i32.const 1) (i32.const 2) (i32.const 3))
  (i32.const 1) (i32.const 3) (i32.const 2))
(assert_return (invoke "call_then_swap" (i32.const 1) (i32.const 2))
  (i32.const 1) (i32.const 2) (i32.const 3))
