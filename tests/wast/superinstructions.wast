;; superinstructions.wast — shapes the interpreter's translator rewrites
;; (src/interp/translate.c): each function is written so that a fusion or an
;; elision applies, and its result is checked against a value worked out by
;; hand. ctest runs this file in both tiers.

;; Locals are zeroed at entry only when they may be read before a top-level set.
(module
  (func (export "set_then_read") (result i32)
    (local i32)
    (local.set 0 (i32.const 7))
    (local.get 0))
  (func (export "set_in_block") (param i32) (result i32)
    (local i32)
    ;; the set inside the block does not dominate the read after it
    (block (br_if 0 (local.get 0)) (local.set 1 (i32.const 5)))
    (local.get 1))
  (func (export "set_in_if") (param i32) (result i64)
    (local i64)
    (if (local.get 0) (then (local.set 1 (i64.const 9))))
    (local.get 1))
  (func (export "read_before_set") (result i32)
    (local i32 i32)
    (local.set 1 (i32.add (local.get 0) (i32.const 3)))
    (local.set 0 (i32.const 100))
    (i32.add (local.get 0) (local.get 1)))
  (func (export "after_loop") (param i32) (result i32)
    (local i32 i32)
    (local.set 1 (i32.const 1))
    (loop
      (local.set 1 (i32.add (local.get 1) (local.get 2)))
      (local.set 2 (i32.const 10))
      (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get 1))
  (func (export "f64_v128_locals") (result f64)
    (local f64 v128 f64)
    (local.set 2 (f64.const 1.5))
    (f64.add (local.get 0) (f64.add (local.get 2) (f64x2.extract_lane 1 (local.get 1)))))
  ;; the dirty frame: a callee's locals must not see the caller's old values
  (func $dirty (param i32) (result i32)
    (local i32 i32 i32)
    (local.set 1 (i32.const 111))
    (local.set 2 (i32.const 222))
    (local.set 3 (i32.const 333))
    (i32.add (local.get 0) (i32.add (local.get 1) (i32.add (local.get 2) (local.get 3)))))
  (func $clean (param i32) (result i32)
    (local i32 i32 i32)
    (if (local.get 0) (then (local.set 2 (i32.const 1))))
    (i32.add (local.get 1) (i32.add (local.get 2) (local.get 3))))
  (func (export "frames_reused") (result i32)
    (drop (call $dirty (i32.const 1)))
    (call $clean (i32.const 0)))
)
(assert_return (invoke "set_then_read") (i32.const 7))
(assert_return (invoke "set_in_block" (i32.const 0)) (i32.const 5))
(assert_return (invoke "set_in_block" (i32.const 1)) (i32.const 0))
(assert_return (invoke "set_in_if" (i32.const 0)) (i64.const 0))
(assert_return (invoke "set_in_if" (i32.const 1)) (i64.const 9))
(assert_return (invoke "read_before_set") (i32.const 103))
(assert_return (invoke "after_loop" (i32.const 1)) (i32.const 1))
(assert_return (invoke "after_loop" (i32.const 3)) (i32.const 21))
(assert_return (invoke "f64_v128_locals") (f64.const 1.5))
(assert_return (invoke "frames_reused") (i32.const 0))

;; Consecutive moves become pairs; they run in order (rotations, swaps).
(module
  (func (export "rotate") (param i32) (result i32)
    (local i32 i32 i32 i32)
    (local.set 1 (i32.const 1))
    (local.set 2 (i32.const 2))
    (local.set 3 (i32.const 3))
    (loop
      (local.set 4 (local.get 3))
      (local.set 3 (local.get 2))
      (local.set 2 (local.get 1))
      (local.set 1 (local.get 4))
      (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    ;; digits of locals 1, 2, 3
    (i32.add (i32.mul (local.get 1) (i32.const 100))
             (i32.add (i32.mul (local.get 2) (i32.const 10)) (local.get 3))))
  (func (export "swap_chain") (param i32 i32) (result i32)
    (local i32)
    (local.set 2 (local.get 0))
    (local.set 0 (local.get 1))
    (local.set 1 (local.get 2))
    (i32.sub (local.get 0) (local.get 1)))
)
(assert_return (invoke "rotate" (i32.const 1)) (i32.const 312))
(assert_return (invoke "rotate" (i32.const 2)) (i32.const 231))
(assert_return (invoke "rotate" (i32.const 3)) (i32.const 123))
(assert_return (invoke "swap_chain" (i32.const 10) (i32.const 3)) (i32.const -7))

;; Jump threading: br_table entries and nested breaks that reach other branches
;; or the function's end.
(module
  (func (export "dispatch") (param i32) (result i32)
    (local i32)
    (block $out
      (block $c
        (block $b
          (block $a
            (br_table $a $b $c $out (local.get 0)))
          (local.set 1 (i32.const 10))
          (br $out))
        (local.set 1 (i32.const 20))
        (br $out))
      (local.set 1 (i32.const 30)))
    (local.get 1))
  (func (export "nested_exit") (param i32) (result i32)
    (block $x
      (block $y
        (block $z
          (br_if $z (local.get 0))
          (br $y))
        (return (i32.const 1)))
      (br $x))
    (i32.const 2))
  (func (export "self_loop") (param i32) (result i32)
    (block (loop (br_if 1 (i32.eqz (local.get 0))) (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))
    (i32.const 42))
)
(assert_return (invoke "dispatch" (i32.const 0)) (i32.const 10))
(assert_return (invoke "dispatch" (i32.const 1)) (i32.const 20))
(assert_return (invoke "dispatch" (i32.const 2)) (i32.const 30))
(assert_return (invoke "dispatch" (i32.const 3)) (i32.const 0))
(assert_return (invoke "dispatch" (i32.const 99)) (i32.const 0))
(assert_return (invoke "nested_exit" (i32.const 0)) (i32.const 2))
(assert_return (invoke "nested_exit" (i32.const 1)) (i32.const 1))
(assert_return (invoke "self_loop" (i32.const 5)) (i32.const 42))

;; Addresses: a constant (ea = k + offset), base + index, base + constant.
(module
  (memory 1)
  (data (i32.const 16) "\01\02\03\04\05\06\07\08\ff\fe")
  (func (export "const_load") (result i32) (i32.load offset=4 (i32.const 12)))
  (func (export "const_load8_s") (result i32) (i32.load8_s (i32.const 24)))
  (func (export "const_store") (param i64) (result i64)
    (i64.store offset=8 (i32.const 100) (local.get 0))
    (i64.load (i32.const 108)))
  (func (export "const_store_const") (result i32)
    (i32.store16 (i32.const 200) (i32.const 0x12345))
    (i32.load (i32.const 200)))
  (func (export "index_load") (param i32 i32) (result i32)
    (i32.load8_u offset=16 (i32.add (local.get 0) (local.get 1))))
  (func (export "index_store") (param i32 i32 i32) (result i32)
    (i32.store offset=1 (i32.add (local.get 0) (local.get 1)) (local.get 2))
    (i32.load offset=1 (i32.add (local.get 1) (local.get 0))))
  ;; the 32-bit sum wraps; the offset is then added without wrapping
  (func (export "index_wrap") (result i32)
    (i32.load8_u offset=17 (i32.add (i32.const -1) (i32.add (i32.const 0) (i32.const 0)))))
  (func (export "index_wrap2") (param i32 i32) (result i32)
    (i32.load8_u offset=17 (i32.add (local.get 0) (local.get 1))))
  (func (export "index_oob") (param i32 i32) (result i32)
    (i32.load offset=65533 (i32.add (local.get 0) (local.get 1))))
  (func (export "const_oob") (result i32) (i32.load offset=65533 (i32.const 0)))
  (func (export "const_oob_store") (i32.store8 offset=1 (i32.const 65535) (i32.const 1)))
)
(assert_return (invoke "const_load") (i32.const 0x04030201))
(assert_return (invoke "const_load8_s") (i32.const -1))
(assert_return (invoke "const_store" (i64.const 0x123456789)) (i64.const 0x123456789))
(assert_return (invoke "const_store_const") (i32.const 0x2345))
(assert_return (invoke "index_load" (i32.const 2) (i32.const 3)) (i32.const 6))
(assert_return (invoke "index_store" (i32.const 300) (i32.const 5) (i32.const 77)) (i32.const 77))
(assert_trap (invoke "index_wrap") "out of bounds memory access")
(assert_return (invoke "index_wrap2" (i32.const -2) (i32.const 3)) (i32.const 3))
(assert_trap (invoke "index_wrap2" (i32.const -2) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "index_oob" (i32.const 1) (i32.const 2)) "out of bounds memory access")
(assert_trap (invoke "index_oob" (i32.const -1) (i32.const -1)) "out of bounds memory access")
(assert_trap (invoke "const_oob") "out of bounds memory access")
(assert_trap (invoke "const_oob_store") "out of bounds memory access")

;; Counters: an addition of a constant fused with the branch that tests it.
(module
  (func (export "count_down") (param i32) (result i32)
    (local i32)
    (loop
      (local.set 1 (i32.add (local.get 1) (i32.const 3)))
      (br_if 0 (local.tee 0 (i32.add (local.get 0) (i32.const -1)))))
    (local.get 1))
  (func (export "count_up_ne") (param i32) (result i32)
    (local i32 i32)
    (loop
      (local.set 2 (i32.add (local.get 2) (local.get 1)))
      (br_if 0 (i32.ne (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (local.get 0))))
    (local.get 2))
  (func (export "count_up_lt_s_k") (result i32)
    (local i32 i32)
    (loop
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if 0 (i32.lt_s (local.tee 0 (i32.add (local.get 0) (i32.const 2))) (i32.const 9))))
    (i32.add (i32.mul (local.get 0) (i32.const 100)) (local.get 1)))
  (func (export "unsigned_wrap") (param i32) (result i32)
    ;; 0xFFFFFFFF + 1 wraps to 0, which is below 5 unsigned
    (if (result i32) (i32.lt_u (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (i32.const 5))
      (then (i32.const 1)) (else (i32.const 0))))
  (func (export "if_addk") (param i32) (result i32)
    (if (result i32) (local.tee 0 (i32.add (local.get 0) (i32.const -7)))
      (then (local.get 0)) (else (i32.const 99))))
  (func (export "compare_self") (param i32) (result i32)
    (block (br_if 0 (i32.eq (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (local.get 0)))
      (return (i32.const 0)))
    (local.get 0))
)
(assert_return (invoke "count_down" (i32.const 4)) (i32.const 12))
(assert_return (invoke "count_up_ne" (i32.const 5)) (i32.const 10))
(assert_return (invoke "count_up_lt_s_k") (i32.const 1005))
(assert_return (invoke "unsigned_wrap" (i32.const -1)) (i32.const 1))
(assert_return (invoke "unsigned_wrap" (i32.const 10)) (i32.const 0))
(assert_return (invoke "if_addk" (i32.const 7)) (i32.const 99))
(assert_return (invoke "if_addk" (i32.const 10)) (i32.const 3))
(assert_return (invoke "compare_self" (i32.const 41)) (i32.const 42))

;; Compares of every type fused with br_if and if; a false float compare is
;; not the opposite compare when a NaN is involved. Constants on the left are
;; mirrored (k < x is x > k).
(module
  (func (export "f64_lt_br") (param f64 f64) (result i32)
    (block (br_if 0 (f64.lt (local.get 0) (local.get 1))) (return (i32.const 0)))
    (i32.const 1))
  (func (export "f64_lt_if") (param f64 f64) (result i32)
    (if (result i32) (f64.lt (local.get 0) (local.get 1)) (then (i32.const 1)) (else (i32.const 0))))
  (func (export "f64_ge_k_if") (param f64) (result i32)
    (if (result i32) (f64.ge (local.get 0) (f64.const 4)) (then (i32.const 1)) (else (i32.const 0))))
  (func (export "f64_k_lt_x") (param f64) (result i32)
    (if (result i32) (f64.lt (f64.const 4) (local.get 0)) (then (i32.const 1)) (else (i32.const 0))))
  (func (export "f32_ne_k_br") (param f32) (result i32)
    (block (br_if 0 (f32.ne (local.get 0) (f32.const 1.5))) (return (i32.const 0)))
    (i32.const 1))
  (func (export "i64_lt_u_k_br") (param i64) (result i32)
    (block (br_if 0 (i64.lt_u (local.get 0) (i64.const 10))) (return (i32.const 0)))
    (i32.const 1))
  (func (export "i64_gt_s_if") (param i64 i64) (result i32)
    (if (result i32) (i64.gt_s (local.get 0) (local.get 1)) (then (i32.const 1)) (else (i32.const 0))))
  (func (export "i32_k_ge_u_x") (param i32) (result i32)
    (i32.ge_u (i32.const 10) (local.get 0)))
  (func (export "f64_sub_k") (param f64) (result f64) (f64.sub (local.get 0) (f64.const 0.25)))
  (func (export "f64_k_sub") (param f64) (result f64) (f64.sub (f64.const 0.25) (local.get 0)))
  (func (export "f32_div_k") (param f32) (result f32) (f32.div (local.get 0) (f32.const 4)))
  (func (export "f64_k_mul") (param f64) (result f64) (f64.mul (f64.const -2) (local.get 0)))
  (func (export "f32_min_k") (param f32) (result f32) (f32.min (local.get 0) (f32.const -0)))
)
(assert_return (invoke "f64_lt_br" (f64.const 1) (f64.const 2)) (i32.const 1))
(assert_return (invoke "f64_lt_br" (f64.const 2) (f64.const 1)) (i32.const 0))
(assert_return (invoke "f64_lt_br" (f64.const nan) (f64.const 1)) (i32.const 0))
(assert_return (invoke "f64_lt_if" (f64.const 1) (f64.const 2)) (i32.const 1))
(assert_return (invoke "f64_lt_if" (f64.const nan) (f64.const 2)) (i32.const 0))
(assert_return (invoke "f64_lt_if" (f64.const 2) (f64.const nan)) (i32.const 0))
(assert_return (invoke "f64_ge_k_if" (f64.const 4)) (i32.const 1))
(assert_return (invoke "f64_ge_k_if" (f64.const 3.5)) (i32.const 0))
(assert_return (invoke "f64_ge_k_if" (f64.const nan)) (i32.const 0))
(assert_return (invoke "f64_k_lt_x" (f64.const 5)) (i32.const 1))
(assert_return (invoke "f64_k_lt_x" (f64.const 4)) (i32.const 0))
(assert_return (invoke "f64_k_lt_x" (f64.const -nan)) (i32.const 0))
(assert_return (invoke "f32_ne_k_br" (f32.const 1.5)) (i32.const 0))
(assert_return (invoke "f32_ne_k_br" (f32.const nan)) (i32.const 1))
(assert_return (invoke "i64_lt_u_k_br" (i64.const 9)) (i32.const 1))
(assert_return (invoke "i64_lt_u_k_br" (i64.const -1)) (i32.const 0))
(assert_return (invoke "i64_gt_s_if" (i64.const -1) (i64.const -2)) (i32.const 1))
(assert_return (invoke "i64_gt_s_if" (i64.const -2) (i64.const 0x7fffffffffffffff)) (i32.const 0))
(assert_return (invoke "i32_k_ge_u_x" (i32.const 10)) (i32.const 1))
(assert_return (invoke "i32_k_ge_u_x" (i32.const -1)) (i32.const 0))
(assert_return (invoke "f64_sub_k" (f64.const 1)) (f64.const 0.75))
(assert_return (invoke "f64_k_sub" (f64.const 1)) (f64.const -0.75))
(assert_return (invoke "f32_div_k" (f32.const 1)) (f32.const 0.25))
(assert_return (invoke "f64_k_mul" (f64.const 1.5)) (f64.const -3))
(assert_return (invoke "f32_min_k" (f32.const 0)) (f32.const -0))
(assert_return (invoke "f32_min_k" (f32.const nan)) (f32.const nan:canonical))

;; A local.set of the constant a local already holds is dropped, but only
;; while no control-flow join lies between the two sets.
(module
  (func (export "same_const_after_join") (param i32) (result i32)
    (local i32)
    (local.set 1 (i32.const 4))
    (block (br_if 0 (local.get 0)) (local.set 1 (i32.const 9)))
    (local.set 1 (i32.const 4))
    (local.get 1))
  (func (export "same_const_in_loop") (param i32) (result i32)
    (local i32 i32)
    (local.set 1 (i32.const 0))
    (loop
      (local.set 2 (i32.add (local.get 2) (local.get 1)))
      (local.set 1 (i32.const 0))
      (local.set 1 (i32.add (local.get 1) (i32.const 5)))
      (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (i32.add (local.get 1) (local.get 2)))
  (func (export "same_const_else") (param i32) (result i32)
    (local i32)
    (local.set 1 (i32.const 3))
    (if (local.get 0)
      (then (local.set 1 (i32.const 8)))
      (else (local.set 1 (i32.const 3))))
    (local.get 1))
  (func (export "zeroed_then_set_zero") (param i32) (result i32)
    (local i32)
    (if (local.get 0) (then (local.set 1 (i32.const 6))))
    (local.set 1 (i32.const 0))
    (local.get 1))
)
(assert_return (invoke "same_const_after_join" (i32.const 0)) (i32.const 4))
(assert_return (invoke "same_const_after_join" (i32.const 1)) (i32.const 4))
(assert_return (invoke "same_const_in_loop" (i32.const 3)) (i32.const 15))
(assert_return (invoke "same_const_else" (i32.const 0)) (i32.const 3))
(assert_return (invoke "same_const_else" (i32.const 1)) (i32.const 8))
(assert_return (invoke "zeroed_then_set_zero" (i32.const 1)) (i32.const 0))

;; An operand shifted or rotated by a constant, or loaded, just before a
;; commutative operation that uses it once: one instruction.
(module
  (memory 1)
  (data (i32.const 8) "\00\00\00\00\00\00\f8\3f\00\00\00\00\00\00\00\c0")
  (func (export "xor_rotl") (param i32 i32) (result i32) (i32.xor (local.get 0) (i32.rotl (local.get 1) (i32.const 8))))
  (func (export "rotr_xor") (param i32 i32) (result i32) (i32.xor (i32.rotr (local.get 1) (i32.const 36)) (local.get 0)))
  (func (export "xor_shr_u") (param i32 i32) (result i32) (i32.xor (local.get 0) (i32.shr_u (local.get 1) (i32.const 3))))
  (func (export "add_shl") (param i32 i32) (result i32) (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 34))))
  (func (export "shl_or") (param i32 i32) (result i32) (i32.or (i32.shl (local.get 1) (i32.const 31)) (local.get 0)))
  (func (export "sigma") (param i32) (result i32)
    (i32.xor (i32.xor (i32.rotr (local.get 0) (i32.const 2)) (i32.rotr (local.get 0) (i32.const 13)))
             (i32.rotr (local.get 0) (i32.const 22))))
  (func (export "add_loaded") (param i32 f64) (result f64) (f64.add (local.get 1) (f64.load offset=8 (local.get 0))))
  (func (export "loaded_mul") (param i32 f64) (result f64) (f64.mul (f64.load offset=8 (local.get 0)) (local.get 1)))
  (func (export "mul_add_loaded") (param i32 f64) (result f64)
    (f64.add (f64.mul (local.get 1) (f64.load offset=8 (local.get 0))) (f64.load offset=16 (local.get 0))))
)
(assert_return (invoke "xor_rotl" (i32.const 0x0f) (i32.const 0x80000001)) (i32.const 0x0000018f))
(assert_return (invoke "rotr_xor" (i32.const 1) (i32.const 0x10)) (i32.const 0))
(assert_return (invoke "xor_shr_u" (i32.const 0xff) (i32.const -8)) (i32.const 0x1fffff00))
(assert_return (invoke "add_shl" (i32.const 1) (i32.const 0x40000001)) (i32.const 5))
(assert_return (invoke "shl_or" (i32.const 6) (i32.const 3)) (i32.const 0x80000006))
(assert_return (invoke "sigma" (i32.const 0x6a09e667)) (i32.const 0xce20b47e))
(assert_return (invoke "add_loaded" (i32.const 0) (f64.const 0.25)) (f64.const 1.75))

(assert_return (invoke "loaded_mul" (i32.const 8) (f64.const 3)) (f64.const -6))
(assert_return (invoke "mul_add_loaded" (i32.const 0) (f64.const 2)) (f64.const 1))
(assert_trap (invoke "add_loaded" (i32.const 65528) (f64.const 1)) "out of bounds memory access")
(assert_trap (invoke "loaded_mul" (i32.const -1) (f64.const 1)) "out of bounds memory access")

;; Integer adds of a word loaded just before (either side): one instruction,
;; wrapping as i32.add / i64.add do; a load out of bounds still traps.
(module
  (memory 1)
  (data (i32.const 8) "\ff\ff\ff\ff\ff\ff\ff\ff\05\00\00\00\00\00\00\80")
  (func (export "i64_add_loaded") (param i32 i64) (result i64) (i64.add (local.get 1) (i64.load offset=8 (local.get 0))))
  (func (export "i64_loaded_add") (param i32 i64) (result i64) (i64.add (i64.load offset=16 (local.get 0)) (local.get 1)))
  (func (export "i32_add_loaded") (param i32 i32) (result i32) (i32.add (local.get 1) (i32.load offset=8 (local.get 0))))
  (func (export "i32_loaded_add_ext") (param i32 i32) (result i64)
    ;; the i32 sum is zero-extended correctly when widened afterwards
    (i64.extend_i32_u (i32.add (i32.load offset=16 (local.get 0)) (local.get 1))))
)
(assert_return (invoke "i64_add_loaded" (i32.const 0) (i64.const 2)) (i64.const 1))
(assert_return (invoke "i64_loaded_add" (i32.const 0) (i64.const 0x8000000000000000)) (i64.const 5))
(assert_return (invoke "i32_add_loaded" (i32.const 0) (i32.const 3)) (i32.const 2))
(assert_return (invoke "i32_add_loaded" (i32.const 4) (i32.const 3)) (i32.const 2))
(assert_return (invoke "i32_loaded_add_ext" (i32.const 0) (i32.const -6)) (i64.const 0xffffffff))
(assert_trap (invoke "i64_add_loaded" (i32.const 65530) (i64.const 1)) "out of bounds memory access")

;; An address `p + k` kept in a local by local.tee and used right away: one
;; instruction updates the local and accesses memory, in that order.
(module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08")
  (func (export "walk") (param i32) (result i32)
    (local i32 i32)
    (local.set 1 (i32.const -1))
    (loop
      (local.set 2 (i32.add (local.get 2) (i32.load8_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))))))
      (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
    (i32.add (i32.mul (local.get 1) (i32.const 1000)) (local.get 2)))
  (func (export "chase") (result i32)
    (local i32)
    ;; l = load(l + 4) overwrites the tee'd value with the loaded one
    (i32.store (i32.const 100) (i32.const 7))
    (local.set 0 (i32.const 96))
    (local.set 0 (i32.load (local.tee 0 (i32.add (local.get 0) (i32.const 4)))))
    (local.get 0))
  (func (export "store_pointer") (result i32)
    (local i32)
    (local.set 0 (i32.const 200))
    (i32.store offset=2 (local.tee 0 (i32.add (local.get 0) (i32.const 8))) (local.get 0))
    (i32.add (i32.load (i32.const 210)) (local.get 0)))
  (func (export "tee_oob") (param i32) (result i32)
    (local i32)
    (drop (i32.load offset=65531 (local.tee 1 (i32.add (local.get 0) (i32.const 1)))))
    (local.get 1))
)
(assert_return (invoke "walk" (i32.const 3)) (i32.const 3010))
(assert_return (invoke "walk" (i32.const 7)) (i32.const 7036))
(assert_return (invoke "chase") (i32.const 7))
(assert_return (invoke "store_pointer") (i32.const 416))
(assert_return (invoke "tee_oob" (i32.const 0)) (i32.const 1))
(assert_trap (invoke "tee_oob" (i32.const 1)) "out of bounds memory access")

;; Stores of a constant value carry it as an immediate (truncated to the
;; store's width).
(module
  (memory 1)
  (func (export "store_consts") (param i32) (result i64)
    (i32.store8 offset=1 (local.get 0) (i32.const 0x1ff))
    (i32.store16 offset=2 (local.get 0) (i32.const -2))
    (i64.store32 offset=4 (local.get 0) (i64.const 0x1234567890))
    (i64.load (local.get 0)))
  (func (export "store_f64_const") (param i32) (result f64)
    (f64.store (local.get 0) (f64.const -1.5))
    (f64.load (local.get 0)))
  (func (export "store_const_oob") (param i32)
    (i64.store offset=65528 (local.get 0) (i64.const 1)))
)
(assert_return (invoke "store_consts" (i32.const 64)) (i64.const 0x34567890fffeff00))
(assert_return (invoke "store_f64_const" (i32.const 8)) (f64.const -1.5))
(assert_return (invoke "store_const_oob" (i32.const 0)))
(assert_trap (invoke "store_const_oob" (i32.const 1)) "out of bounds memory access")

;; A move just before a call (usually an argument) travels with the call.
(module
  (func $ack (param i32 i32) (result i32)
    (block
      (br_if 0 (i32.eqz (local.get 0)))
      (loop
        (block
          (block (br_if 0 (local.get 1)) (local.set 1 (i32.const 1)) (br 1))
          (local.set 1 (call $ack (local.get 0) (i32.add (local.get 1) (i32.const -1)))))
        (br_if 0 (local.tee 0 (i32.add (local.get 0) (i32.const -1))))))
    (i32.add (local.get 1) (i32.const 1)))
  (func (export "ack") (param i32 i32) (result i32) (call $ack (local.get 0) (local.get 1)))
  (func $sub3 (param i32 i32 i32) (result i32) (i32.sub (i32.sub (local.get 0) (local.get 1)) (local.get 2)))
  (func (export "args") (param i32 i32 i32) (result i32)
    (call $sub3 (local.get 2) (local.get 0) (local.get 1)))
  (func (export "moved_not_arg") (param i32) (result i32)
    (local i32)
    (local.set 1 (local.get 0))
    (drop (call $sub3 (i32.const 1) (i32.const 2) (i32.const 3)))
    (local.get 1))
)
(assert_return (invoke "ack" (i32.const 2) (i32.const 3)) (i32.const 9))
(assert_return (invoke "ack" (i32.const 3) (i32.const 3)) (i32.const 61))
(assert_return (invoke "args" (i32.const 10) (i32.const 3) (i32.const 100)) (i32.const 87))
(assert_return (invoke "moved_not_arg" (i32.const 77)) (i32.const 77))

;; i64 shifts and rotates by a constant fused into the xor/add/or that uses
;; them (XOR_ROTL64, ADD_ROTL64, XOR_SHRU64, ADD_SHRU64, OR_SHL64), with the
;; shifted value on either side and counts above 63 (masked, as wasm does).
(module
  (func (export "xor_rotl64") (param i64 i64) (result i64) (i64.xor (local.get 0) (i64.rotl (local.get 1) (i64.const 13))))
  (func (export "xor_rotl64_left") (param i64 i64) (result i64) (i64.xor (i64.rotl (local.get 1) (i64.const 13)) (local.get 0)))
  (func (export "xor_rotl64_77") (param i64 i64) (result i64) (i64.xor (local.get 0) (i64.rotl (local.get 1) (i64.const 77))))
  (func (export "add_rotl64") (param i64 i64) (result i64) (i64.add (local.get 0) (i64.rotl (local.get 1) (i64.const 32))))
  (func (export "xor_shru64") (param i64) (result i64) (i64.xor (local.get 0) (i64.shr_u (local.get 0) (i64.const 33))))
  (func (export "add_shru64") (param i64 i64) (result i64) (i64.add (local.get 0) (i64.shr_u (local.get 1) (i64.const 32))))
  (func (export "or_shl64") (param i64 i64) (result i64) (i64.or (local.get 0) (i64.shl (local.get 1) (i64.const 56))))
  (func (export "sip_half_round") (param i64 i64) (result i64)
    ;; v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32); result v0 ^ v1
    (local.set 0 (i64.add (local.get 0) (local.get 1)))
    (local.set 1 (i64.xor (i64.rotl (local.get 1) (i64.const 13)) (local.get 0)))
    (local.set 0 (i64.rotl (local.get 0) (i64.const 32)))
    (i64.xor (local.get 0) (local.get 1)))
)
(assert_return (invoke "xor_rotl64" (i64.const 0x0f) (i64.const 0x8000000000000001)) (i64.const 0x300f))
(assert_return (invoke "xor_rotl64_left" (i64.const 0x0f) (i64.const 0x8000000000000001)) (i64.const 0x300f))
(assert_return (invoke "xor_rotl64_77" (i64.const 0) (i64.const 1)) (i64.const 0x2000))
(assert_return (invoke "add_rotl64" (i64.const 1) (i64.const 0x0000000200000003)) (i64.const 0x0000000300000003))
(assert_return (invoke "xor_shru64" (i64.const -1)) (i64.const 0xffffffff80000000))
(assert_return (invoke "add_shru64" (i64.const -1) (i64.const 0x0000000500000000)) (i64.const 4))
(assert_return (invoke "or_shl64" (i64.const 0x11) (i64.const 0x1ff)) (i64.const 0xff00000000000011))
;; v0 = 1 + 2 = 3; v1 = rotl(2, 13) ^ 3 = 0x4003; v0 = 3 << 32 = 0x300000000
(assert_return (invoke "sip_half_round" (i64.const 1) (i64.const 2)) (i64.const 0x0000000300004003))

;; i64.extend_i32_u right after an i32 operator is free (the slot is already
;; zero-extended); after a free i32.wrap_i64 it is not, and must clear the
;; high bits.
(module
  (func (export "carry") (param i32 i32) (result i64)
    (i64.add (i64.extend_i32_u (i32.lt_u (local.get 0) (local.get 1))) (i64.const 0x100000000)))
  (func (export "carry64") (param i64 i64) (result i64)
    (i64.add (i64.extend_i32_u (i64.lt_u (local.get 0) (local.get 1))) (local.get 0)))
  (func (export "sum_extended") (param i32 i32) (result i64)
    (i64.extend_i32_u (i32.add (local.get 0) (local.get 1))))
  (func (export "shr_s_extended") (param i32) (result i64)
    (i64.extend_i32_u (i32.shr_s (local.get 0) (i32.const 4))))
  (func (export "wrap_extended") (param i64 i64) (result i64)
    (i64.extend_i32_u (i32.wrap_i64 (i64.add (local.get 0) (local.get 1)))))
  (func (export "extend_to_local") (param i32) (result i64)
    (local i64)
    (local.set 1 (i64.extend_i32_u (i32.eqz (local.get 0))))
    (i64.add (local.get 1) (i64.const -1)))
)
(assert_return (invoke "carry" (i32.const 1) (i32.const 2)) (i64.const 0x100000001))
(assert_return (invoke "carry" (i32.const 2) (i32.const 1)) (i64.const 0x100000000))
(assert_return (invoke "carry64" (i64.const -2) (i64.const -1)) (i64.const -1))
(assert_return (invoke "sum_extended" (i32.const 0xffffffff) (i32.const 2)) (i64.const 1))
(assert_return (invoke "shr_s_extended" (i32.const 0x80000000)) (i64.const 0xf8000000))
(assert_return (invoke "wrap_extended" (i64.const 0xffffffff00000000) (i64.const 5)) (i64.const 5))
(assert_return (invoke "extend_to_local" (i32.const 0)) (i64.const 0))
(assert_return (invoke "extend_to_local" (i32.const 3)) (i64.const -1))

;; `x - k` and `x & k` tested right away become one add/and-and-branch
;; (ADDK_BR_*, ANDK_BR_*; the value is still stored), and `(x >> s) & mask`
;; one bit-field extract (SHRU_ANDK), shift counts above 31 masked.
(module
  (func (export "sub_countdown") (param i32) (result i32)
    (local i32)
    (loop
      (local.set 1 (i32.add (local.get 1) (i32.const 3)))
      (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (i32.add (local.get 1) (local.get 0)))
  (func (export "sub_if") (param i32) (result i32)
    (if (result i32) (i32.sub (local.get 0) (i32.const 5)) (then (i32.const 1)) (else (i32.const 0))))
  (func (export "and_br_if") (param i32) (result i32)
    (block (br_if 0 (i32.and (local.get 0) (i32.const 0x10))) (return (i32.const 7)))
    (i32.const 9))
  (func (export "and_if") (param i32) (result i32)
    (if (result i32) (i32.and (local.get 0) (i32.const 0x80000000)) (then (i32.const 1)) (else (i32.const 2))))
  (func (export "and_tee") (param i32) (result i32)
    (local i32)
    (block (br_if 0 (local.tee 1 (i32.and (local.get 0) (i32.const 0xf0)))))
    (local.get 1))
  (func (export "bitfield") (param i32) (result i32) (i32.and (i32.shr_u (local.get 0) (i32.const 22)) (i32.const 15)))
  (func (export "bitfield_38") (param i32) (result i32) (i32.and (i32.shr_u (local.get 0) (i32.const 38)) (i32.const 0xff)))
  (func (export "bitfield_shared") (param i32) (result i32)
    (local i32)
    ;; the shifted value is also kept in a local: no fusion, same answer
    (i32.add (i32.and (local.tee 1 (i32.shr_u (local.get 0) (i32.const 4))) (i32.const 3)) (local.get 1)))
)
;; 4 turns: local 1 = 12, local 0 ends at 0
(assert_return (invoke "sub_countdown" (i32.const 4)) (i32.const 12))
(assert_return (invoke "sub_if" (i32.const 5)) (i32.const 0))
(assert_return (invoke "sub_if" (i32.const 4)) (i32.const 1))
(assert_return (invoke "and_br_if" (i32.const 0x31)) (i32.const 9))
(assert_return (invoke "and_br_if" (i32.const 0x21)) (i32.const 7))
(assert_return (invoke "and_if" (i32.const 0x80000001)) (i32.const 1))
(assert_return (invoke "and_if" (i32.const 0x7fffffff)) (i32.const 2))
(assert_return (invoke "and_tee" (i32.const 0x1234)) (i32.const 0x30))
(assert_return (invoke "and_tee" (i32.const 0x1204)) (i32.const 0))
(assert_return (invoke "bitfield" (i32.const 0x0f400000)) (i32.const 13))
;; 38 & 31 = 6: 0x00003fc0 >> 6 = 0xff
(assert_return (invoke "bitfield_38" (i32.const 0x00003fc0)) (i32.const 0xff))
;; 0x57 >> 4 = 5: (5 & 3) + 5 = 6
(assert_return (invoke "bitfield_shared" (i32.const 0x57)) (i32.const 6))

;; `(i << s) + k` as an address, both used only there, folds into the access
;; (_S forms): static arrays. The sum wraps at 32 bits before the offset is
;; added, as in wasm; shift counts above 31 are masked.
(module
  (memory 1)
  (data (i32.const 16) "\01\00\00\00\02\00\00\00\03\00\00\00\04\00\00\00")
  (data (i32.const 64) "\11\22\33\44\55\66\77\88\99\aa\bb\cc\dd\ee\ff\00")
  (func (export "arr_i32") (param i32) (result i32) (i32.load (i32.add (i32.shl (local.get 0) (i32.const 2)) (i32.const 16))))
  (func (export "arr_i32_off") (param i32) (result i32) (i32.load offset=4 (i32.add (i32.shl (local.get 0) (i32.const 2)) (i32.const 12))))
  (func (export "arr_i64") (param i32) (result i64) (i64.load (i32.add (i32.shl (local.get 0) (i32.const 3)) (i32.const 64))))
  (func (export "arr_u8_35") (param i32) (result i32) (i32.load8_u (i32.add (i32.shl (local.get 0) (i32.const 35)) (i32.const 64))))
  (func (export "arr_wrap") (param i32) (result i32) (i32.load (i32.add (i32.shl (local.get 0) (i32.const 2)) (i32.const -16))))
  (func (export "arr_store") (param i32 i32) (result i32)
    (i32.store (i32.add (i32.shl (local.get 0) (i32.const 2)) (i32.const 256)) (local.get 1))
    (i32.load (i32.const 260)))
  (func (export "arr_store8") (param i32 i32) (result i32)
    (i32.store8 offset=1 (i32.add (i32.shl (local.get 0) (i32.const 1)) (i32.const 300)) (local.get 1))
    (i32.load16_u (i32.const 302)))
  (func (export "arr_shared") (param i32) (result i32)
    (local i32)
    ;; the scaled index is also kept in a local: no fusion, same answer
    (i32.add (i32.load (i32.add (local.tee 1 (i32.shl (local.get 0) (i32.const 2))) (i32.const 16))) (local.get 1)))
)
(assert_return (invoke "arr_i32" (i32.const 2)) (i32.const 3))
(assert_return (invoke "arr_i32_off" (i32.const 3)) (i32.const 4))
(assert_return (invoke "arr_i64" (i32.const 1)) (i64.const 0x00ffeeddccbbaa99))
;; 35 & 31 = 3: byte 64 + 8 = 0x99
(assert_return (invoke "arr_u8_35" (i32.const 1)) (i32.const 0x99))
;; (9 << 2) - 16 = 20: bytes 20..23 = 2
(assert_return (invoke "arr_wrap" (i32.const 9)) (i32.const 2))
;; (0 << 2) - 16 wraps to 0xfffffff0: out of bounds, not address -16 + something
(assert_trap (invoke "arr_wrap" (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "arr_store" (i32.const 1) (i32.const 0x12345678)) (i32.const 0x12345678))
;; (1 << 1) + 300 + 1 = 303: the high byte of the halfword at 302
(assert_return (invoke "arr_store8" (i32.const 1) (i32.const 0xab)) (i32.const 0xab00))
(assert_trap (invoke "arr_i32" (i32.const 0x4000)) "out of bounds memory access")
;; load at 4*1 + 16 = 20 -> 2, plus the index 4
(assert_return (invoke "arr_shared" (i32.const 1)) (i32.const 6))

;; Declared locals read before being set start at zero: the call clears them
;; while setting up the frame (one range, from the first such local to the
;; last). Frames reuse the slots of earlier calls, so `dirty` leaves nonzero
;; values where `fresh`'s locals will be, both as a callee and as an entry.
(module
  (func $dirty (export "dirty") (param i32) (result i32)
    (local i32 i64 i32 f64 i32)
    (local.set 1 (i32.const 5)) (local.set 2 (i64.const -1)) (local.set 3 (i32.const 9))
    (local.set 4 (f64.const 2.5)) (local.set 5 (i32.const 11))
    (i32.add (local.get 0) (local.get 5)))
  (func $fresh (export "fresh") (param i32) (result i32)
    (local i32 i64 i32 f64 i32)
    ;; local 3 is set before any read (inside the zeroed range: harmless);
    ;; 1, 2, 4 and 5 are read first
    (local.set 3 (i32.const 100))
    (block
      (loop
        (br_if 1 (i32.eqz (local.get 0)))
        (local.set 5 (i32.add (local.get 5) (i32.const 1)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br 0)))
    (i32.add
      (i32.add (local.get 1) (i32.wrap_i64 (local.get 2)))
      (i32.add (i32.add (local.get 3) (i32.trunc_f64_s (local.get 4))) (local.get 5))))
  (func (export "dirty_then_fresh") (param i32) (result i32)
    (drop (call $dirty (i32.const 1)))
    (call $fresh (local.get 0)))
  (func $rec (param i32) (result i32)
    (local i32)
    ;; each level sees its local at zero although the caller's frame below holds 7
    (if (result i32) (local.get 0)
      (then
        (local.set 1 (i32.add (local.get 1) (i32.const 7)))
        (i32.add (local.get 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))
      (else (local.get 1))))
  (func (export "rec_zero") (param i32) (result i32) (call $rec (local.get 0)))
)
(assert_return (invoke "dirty" (i32.const 1)) (i32.const 12))
(assert_return (invoke "fresh" (i32.const 3)) (i32.const 103))
(assert_return (invoke "dirty_then_fresh" (i32.const 2)) (i32.const 102))
(assert_return (invoke "rec_zero" (i32.const 5)) (i32.const 35))

;; `p[i] += x` on f64: a load, an add and a store back to the same address
;; become one read-modify-write; a different offset or address is not fused.
(module
  (memory 1)
  (data (i32.const 8) "\00\00\00\00\00\00\f8\3f\00\00\00\00\00\00\00\c0")
  (func (export "add_to") (param i32 f64) (result f64)
    (f64.store offset=8 (local.get 0) (f64.add (local.get 1) (f64.load offset=8 (local.get 0))))
    (f64.load offset=8 (local.get 0)))
  (func (export "add_to_other_offset") (param i32 f64) (result f64)
    (f64.store offset=16 (local.get 0) (f64.add (local.get 1) (f64.load offset=8 (local.get 0))))
    (f64.add (f64.load offset=8 (local.get 0)) (f64.load offset=16 (local.get 0))))
  (func (export "add_to_other_addr") (param i32 i32 f64) (result f64)
    (f64.store (local.get 1) (f64.add (local.get 2) (f64.load (local.get 0))))
    (f64.load (local.get 1)))
  (func (export "axpy") (param $n i32) (param $a f64) (result f64)
    ;; y[i] += a * x[i] over n doubles: x at 1024, y at 2048 (y starts at 0)
    (local $i i32) (local $p i32) (local $s f64)
    (block
      (loop
        (br_if 1 (i32.ge_u (local.get $i) (local.get $n)))
        (f64.store (i32.const 1024) (f64.convert_i32_u (local.get $i)))
        (local.set $p (i32.add (i32.const 2048) (i32.shl (local.get $i) (i32.const 3))))
        (f64.store (local.get $p)
          (f64.add (f64.mul (local.get $a) (f64.load (i32.const 1024))) (f64.load (local.get $p))))
        (f64.store (local.get $p)
          (f64.add (f64.mul (local.get $a) (f64.load (i32.const 1024))) (f64.load (local.get $p))))
        (local.set $s (f64.add (local.get $s) (f64.load (local.get $p))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br 0)))
    (local.get $s))
  (func (export "muladd_to") (param i32 f64 f64) (result f64)
    ;; p[0] += a * b, the product a temporary: one instruction
    (f64.store offset=8 (local.get 0) (f64.add (f64.mul (local.get 1) (local.get 2)) (f64.load offset=8 (local.get 0))))
    (f64.load offset=8 (local.get 0)))
  (func (export "muladd_to_kept") (param i32 f64 f64) (result f64)
    (local f64)
    ;; the product is also kept in a local: still written there
    (f64.store offset=8 (local.get 0) (f64.add (local.tee 3 (f64.mul (local.get 1) (local.get 2))) (f64.load offset=8 (local.get 0))))
    (f64.add (f64.load offset=8 (local.get 0)) (local.get 3)))
  (func (export "mulm_add_to") (param i32 i32 f64) (result f64)
    ;; p[0] += a * q[0]: the product reads memory too
    (f64.store (local.get 0) (f64.add (f64.mul (local.get 2) (f64.load (local.get 1))) (f64.load (local.get 0))))
    (f64.load (local.get 0)))
)
;; 1.5 + 0.25 stored at 8
(assert_return (invoke "add_to" (i32.const 0) (f64.const 0.25)) (f64.const 1.75))
(assert_return (invoke "add_to" (i32.const 0) (f64.const 0.25)) (f64.const 2))
;; at 16: 2 + 1 = 3 (the -2 there is overwritten, not added to); plus 2 at 8
(assert_return (invoke "add_to_other_offset" (i32.const 0) (f64.const 1)) (f64.const 5))
;; the 2 at 8 (after the calls above) plus 0.5, stored at 24
(assert_return (invoke "add_to_other_addr" (i32.const 8) (i32.const 24) (f64.const 0.5)) (f64.const 2.5))
;; sum over i < 4 of 2 * (2 * i) = 4 * (0 + 1 + 2 + 3) = 24
(assert_return (invoke "axpy" (i32.const 4) (f64.const 2)) (f64.const 24))
(assert_trap (invoke "add_to" (i32.const 65530) (f64.const 1)) "out of bounds memory access")
;; at 32 (zero): 3 * 0.5, then once more
(assert_return (invoke "muladd_to" (i32.const 24) (f64.const 3) (f64.const 0.5)) (f64.const 1.5))
(assert_return (invoke "muladd_to" (i32.const 24) (f64.const 3) (f64.const 0.5)) (f64.const 3))
;; at 40 (zero): 2 * 2 = 4 stored, plus the product kept: 8
(assert_return (invoke "muladd_to_kept" (i32.const 32) (f64.const 2) (f64.const 2)) (f64.const 8))
;; at 48 (zero) += 4 * (the 3 at 32) = 12
(assert_return (invoke "mulm_add_to" (i32.const 48) (i32.const 32) (f64.const 4)) (f64.const 12))
(assert_trap (invoke "muladd_to" (i32.const 65530) (f64.const 1) (f64.const 1)) "out of bounds memory access")

;; An f64.load at `q + k` feeding f64.mul is one F64_MUL_MA: the address is
;; u32(q + k) + offset, so q + k wraps at 2^32 but the offset does not. A
;; product that read memory (plain or at `q + k`) and is added to p's word,
;; stored back (`y[i] += a * x[j]`), is one F64_MULADD_MM: q is read first,
;; then p, with two roundings (no fused multiply-add), and either access out
;; of bounds traps before anything is written.
(module
  (memory 1)
  (data (i32.const 8) "\00\00\00\00\00\00\e0\3f\00\00\00\00\00\00\00\40\00\00\00\00\00\00\08\40")
  (func (export "get") (param i32) (result f64) (f64.load (local.get 0)))
  (func (export "set") (param i32 f64) (f64.store (local.get 0) (local.get 1)))
  (func (export "mul_ma") (param $q i32) (param $a f64) (result f64)
    (f64.mul (local.get $a) (f64.load offset=8 (i32.add (local.get $q) (i32.const 8)))))
  (func (export "mul_ma_left") (param $q i32) (param $a f64) (result f64)
    (f64.mul (f64.load offset=8 (i32.add (local.get $q) (i32.const 8))) (local.get $a)))
  (func (export "muladd_ma") (param $p i32) (param $q i32) (param $a f64) (result f64)
    (f64.store (local.get $p)
      (f64.add (f64.mul (local.get $a) (f64.load offset=8 (i32.add (local.get $q) (i32.const 8))))
               (f64.load (local.get $p))))
    (f64.load (local.get $p)))
  (func (export "muladd_m_off") (param $p i32) (param $q i32) (param $a f64) (result f64)
    (f64.store offset=8 (local.get $p)
      (f64.add (f64.mul (local.get $a) (f64.load offset=8 (local.get $q))) (f64.load offset=8 (local.get $p))))
    (f64.load offset=8 (local.get $p)))
  (func (export "muladd_kept") (param $p i32) (param $q i32) (param $a f64) (result f64)
    (local f64)
    ;; the product is also kept in a local: not fused, still right
    (f64.store (local.get $p)
      (f64.add (local.tee 3 (f64.mul (local.get $a) (f64.load (local.get $q)))) (f64.load (local.get $p))))
    (f64.add (f64.load (local.get $p)) (local.get 3)))
  (func (export "axpy2") (param $y i32) (param $x i32) (param $n i32) (param $a f64) (result f64)
    ;; y[i] += a * x[i], two per iteration as compilers unroll it (matmul's loop)
    (local $i i32) (local $py i32) (local $px i32) (local $s f64)
    (loop
      (local.set $py (i32.add (local.get $y) (local.get $i)))
      (local.set $px (i32.add (local.get $x) (local.get $i)))
      (f64.store (local.get $py)
        (f64.add (f64.mul (local.get $a) (f64.load (local.get $px))) (f64.load (local.get $py))))
      (f64.store (local.tee $py (i32.add (local.get $py) (i32.const 8)))
        (f64.add (f64.mul (local.get $a) (f64.load (i32.add (local.get $px) (i32.const 8)))) (f64.load (local.get $py))))
      (br_if 0 (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $n))))
    (local.set $i (i32.const 0))
    (loop
      (local.set $s (f64.add (local.get $s) (f64.load (i32.add (local.get $y) (local.get $i)))))
      (br_if 0 (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 8))) (local.get $n))))
    (local.get $s))
)
;; 0.5 at 8, 2 at 16, 3 at 24
(assert_return (invoke "mul_ma" (i32.const 0) (f64.const 1.5)) (f64.const 3))
(assert_return (invoke "mul_ma_left" (i32.const 8) (f64.const -2)) (f64.const -6))
;; q + k wraps to 0, then + 8: the 0.5 at 8
(assert_return (invoke "mul_ma" (i32.const -8) (f64.const 4)) (f64.const 2))
;; q + k wraps to 0xfffffff8, + 8 is past 4 GiB: out of bounds, not 0
(assert_trap (invoke "mul_ma" (i32.const -16) (f64.const 1)) "out of bounds memory access")
(assert_trap (invoke "mul_ma_left" (i32.const 65520) (f64.const 1)) "out of bounds memory access")
(assert_return (invoke "mul_ma" (i32.const 65512) (f64.const 1)) (f64.const 0))
;; at 64 (zero): += 3 * 2, twice
(assert_return (invoke "muladd_ma" (i32.const 64) (i32.const 0) (f64.const 3)) (f64.const 6))
(assert_return (invoke "muladd_ma" (i32.const 64) (i32.const 0) (f64.const 3)) (f64.const 12))
;; x out of bounds: traps, and y keeps its 12
(assert_trap (invoke "muladd_ma" (i32.const 64) (i32.const 65520) (f64.const 1)) "out of bounds memory access")
(assert_return (invoke "get" (i32.const 64)) (f64.const 12))
;; y out of bounds (x fine): traps
(assert_trap (invoke "muladd_ma" (i32.const 65536) (i32.const 0) (f64.const 1)) "out of bounds memory access")
(assert_trap (invoke "muladd_ma" (i32.const 65529) (i32.const 0) (f64.const 1)) "out of bounds memory access")
;; q + k wraps to 0: reads 0.5 at 8; at 72 (zero) += 4 * 0.5
(assert_return (invoke "muladd_ma" (i32.const 72) (i32.const -8) (f64.const 4)) (f64.const 2))
;; plain x address with offsets on both: 80 + 8 += 2 * (3 at 16 + 8)
(assert_return (invoke "muladd_m_off" (i32.const 80) (i32.const 16) (f64.const 2)) (f64.const 6))
(assert_trap (invoke "muladd_m_off" (i32.const 65528) (i32.const 16) (f64.const 2)) "out of bounds memory access")
(assert_trap (invoke "muladd_m_off" (i32.const 80) (i32.const 65528) (f64.const 2)) "out of bounds memory access")
(assert_return (invoke "get" (i32.const 88)) (f64.const 6))
;; two roundings: (1 + 2^-30)^2 rounds to 1 + 2^-29 before the add, so the
;; sum is 0 (a fused multiply-add would give 2^-60)
(assert_return (invoke "set" (i32.const 96) (f64.const 0x1.00000004p+0)))
(assert_return (invoke "set" (i32.const 104) (f64.const -0x1.00000008p+0)))
(assert_return (invoke "muladd_ma" (i32.const 104) (i32.const 80) (f64.const 0x1.00000004p+0)) (f64.const 0))
(assert_return (invoke "set" (i32.const 104) (f64.const -0x1.00000008p+0)))
(assert_return (invoke "muladd_m_off" (i32.const 96) (i32.const 88) (f64.const 0x1.00000004p+0)) (f64.const 0))
;; NaN and infinity pass through: y = inf, a * x = -inf
(assert_return (invoke "set" (i32.const 112) (f64.const inf)))
(assert_return (invoke "muladd_ma" (i32.const 112) (i32.const 0) (f64.const -inf)) (f64.const nan:canonical))
(assert_return (invoke "muladd_kept" (i32.const 120) (i32.const 16) (f64.const 2)) (f64.const 8))
;; y at 1024 = 0..7, x at 2048 = 1 each... (set below), n = 8 doubles
(assert_return (invoke "set" (i32.const 2048) (f64.const 1)))
(assert_return (invoke "set" (i32.const 2056) (f64.const 2)))
(assert_return (invoke "set" (i32.const 2064) (f64.const 3)))
(assert_return (invoke "set" (i32.const 2072) (f64.const 4)))
(assert_return (invoke "set" (i32.const 1024) (f64.const 10)))
;; y = 10, 0, 0, 0 += 0.5 * (1, 2, 3, 4): sum = 10 + 5 = 15, twice: 20
(assert_return (invoke "axpy2" (i32.const 1024) (i32.const 2048) (i32.const 32) (f64.const 0.5)) (f64.const 15))
(assert_return (invoke "axpy2" (i32.const 1024) (i32.const 2048) (i32.const 32) (f64.const 0.5)) (f64.const 20))

;; The pointer bump `p = src + k` (local.tee) just before such a product is
;; folded in too (F64_MULADD_MM_T): done first, as in wasm, so x's address
;; may read the bumped p.
(module
  (memory 1)
  (data (i32.const 16) "\00\00\00\00\00\00\00\40\00\00\00\00\00\00\08\40")
  (func (export "get") (param i32) (result f64) (f64.load (local.get 0)))
  (func (export "bump") (param $p i32) (param $q i32) (param $a f64) (result i32)
    (f64.store (local.tee $p (i32.add (local.get $p) (i32.const 8)))
      (f64.add (f64.mul (local.get $a) (f64.load offset=8 (i32.add (local.get $q) (i32.const 8))))
               (f64.load (local.get $p))))
    (local.get $p))
  (func (export "bump_self") (param $p i32) (param $a f64) (result f64)
    ;; x's address is the bumped p itself: p[1] += a * p[1]
    (f64.store (local.tee $p (i32.add (local.get $p) (i32.const 8)))
      (f64.add (f64.mul (local.get $a) (f64.load (i32.add (local.get $p) (i32.const 0))))
               (f64.load (local.get $p))))
    (f64.load (local.get $p)))
  (func (export "bump_trap") (param $p i32) (param $q i32) (result i32)
    ;; a negative bump; either access may trap
    (f64.store offset=8 (local.tee $p (i32.add (local.get $p) (i32.const -16)))
      (f64.add (f64.mul (f64.const 1) (f64.load (i32.add (local.get $q) (i32.const 8))))
               (f64.load offset=8 (local.get $p))))
    (local.get $p))
)
;; 16 + 8 = 24: 3 += 2 * (2 at 0 + 8 + 8): 7
(assert_return (invoke "bump" (i32.const 16) (i32.const 0) (f64.const 2)) (i32.const 24))
(assert_return (invoke "get" (i32.const 24)) (f64.const 7))
;; src + k wraps: 0xfffffff8 + 8 = 0, where 0 += 2 * 2 = 4
(assert_return (invoke "bump" (i32.const -8) (i32.const 0) (f64.const 2)) (i32.const 0))
(assert_return (invoke "get" (i32.const 0)) (f64.const 4))
;; 24 (7) += 0.5 * 7
(assert_return (invoke "bump_self" (i32.const 16) (f64.const 0.5)) (f64.const 10.5))
(assert_trap (invoke "bump" (i32.const 65528) (i32.const 0) (f64.const 2)) "out of bounds memory access")
(assert_trap (invoke "bump" (i32.const 0) (i32.const 65520) (f64.const 2)) "out of bounds memory access")
(assert_return (invoke "get" (i32.const 8)) (f64.const 0))
;; p = 16 - 16 = 0: 0 + 8 += 1 * (2 at 8 + 8): 2
(assert_return (invoke "bump_trap" (i32.const 16) (i32.const 8)) (i32.const 0))
(assert_return (invoke "get" (i32.const 8)) (f64.const 2))
;; p = 8 - 16 wraps to 0xfffffff8, + 8 = 4 GiB: out of bounds
(assert_trap (invoke "bump_trap" (i32.const 8) (i32.const 8)) "out of bounds memory access")
(assert_trap (invoke "bump_trap" (i32.const 16) (i32.const 65528)) "out of bounds memory access")

;; Three and four moves in a row are one COPY3 / COPY4, run in order: a
;; later move reads what an earlier one wrote.
(module
  (func (export "shift5") (param i32 i32 i32 i32 i32 i32) (result i32)
    ;; l5 = l4, l4 = l3, l3 = l2, l2 = l1, l1 = l0 (a rotation through old values)
    (local.set 5 (local.get 4)) (local.set 4 (local.get 3)) (local.set 3 (local.get 2))
    (local.set 2 (local.get 1)) (local.set 1 (local.get 0))
    (i32.add (i32.add (i32.add (i32.mul (local.get 1) (i32.const 10000)) (i32.mul (local.get 2) (i32.const 1000)))
                      (i32.add (i32.mul (local.get 3) (i32.const 100)) (i32.mul (local.get 4) (i32.const 10))))
             (local.get 5)))
  (func (export "chain3") (param i32 i32 i32 i32) (result i32)
    ;; l1 = l0, l2 = l1 (the new l1), l3 = l2: all become l0
    (local.set 1 (local.get 0)) (local.set 2 (local.get 1)) (local.set 3 (local.get 2))
    (i32.add (i32.add (local.get 1) (local.get 2)) (i32.add (local.get 3) (local.get 0))))
  (func (export "chain4") (param i64 i64 i64 i64 i64) (result i64)
    (local.set 1 (local.get 0)) (local.set 2 (local.get 1)) (local.set 3 (local.get 2)) (local.set 4 (local.get 3))
    (i64.add (i64.add (local.get 1) (local.get 2)) (i64.add (local.get 3) (local.get 4))))
  (func (export "rotate_loop") (param $n i32) (result i32)
    ;; a, b, c, d = d + 1, a, b, c each iteration (SHA-2's register rotation)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $t i32)
    (local.set $a (i32.const 1)) (local.set $b (i32.const 2)) (local.set $c (i32.const 3)) (local.set $d (i32.const 4))
    (loop
      (local.set $t (i32.add (local.get $d) (i32.const 1)))
      (local.set $d (local.get $c)) (local.set $c (local.get $b)) (local.set $b (local.get $a)) (local.set $a (local.get $t))
      (br_if 0 (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i32.add (i32.add (i32.mul (local.get $a) (i32.const 1000)) (i32.mul (local.get $b) (i32.const 100)))
             (i32.add (i32.mul (local.get $c) (i32.const 10)) (local.get $d))))
)
(assert_return (invoke "shift5" (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4) (i32.const 5) (i32.const 6)) (i32.const 12345))
(assert_return (invoke "chain3" (i32.const 7) (i32.const 1) (i32.const 2) (i32.const 3)) (i32.const 28))
(assert_return (invoke "chain4" (i64.const 0x100000000) (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)) (i64.const 0x400000000))
;; (1,2,3,4) -> (5,1,2,3) -> (4,5,1,2) -> (3,4,5,1) -> (2,3,4,5) -> (6,2,3,4)
(assert_return (invoke "rotate_loop" (i32.const 1)) (i32.const 5123))
(assert_return (invoke "rotate_loop" (i32.const 4)) (i32.const 2345))
(assert_return (invoke "rotate_loop" (i32.const 5)) (i32.const 6234))

;; Two rotations by constants xored, each a temporary used only there, are
;; one ROTL2_XOR (i32, i64): the counts are taken modulo the width.
(module
  (func (export "sigma") (param i32) (result i32)
    (i32.xor (i32.xor (i32.rotl (local.get 0) (i32.const 26)) (i32.rotl (local.get 0) (i32.const 21)))
             (i32.rotl (local.get 0) (i32.const 7))))
  (func (export "rot2") (param i32 i32 i32 i32) (result i32)
    ;; rotl(x, k1) ^ rotl(y, k2), counts given here as constants below
    (i32.xor (i32.rotl (local.get 0) (i32.const 33)) (i32.rotl (local.get 1) (i32.const 0))))
  (func (export "rot2_wrapped") (param i64 i64) (result i32)
    ;; i32 rotations of wrapped i64s: only the low 32 bits count
    (i32.xor (i32.rotl (i32.wrap_i64 (local.get 0)) (i32.const 31)) (i32.rotl (i32.wrap_i64 (local.get 1)) (i32.const 4))))
  (func (export "rot2_kept") (param i32) (result i32)
    (local i32)
    ;; the first rotation also kept in a local: not a temporary, still right
    (i32.add (i32.xor (local.tee 1 (i32.rotl (local.get 0) (i32.const 8))) (i32.rotl (local.get 0) (i32.const 16)))
             (local.get 1)))
  (func (export "sigma64") (param i64) (result i64)
    (i64.xor (i64.xor (i64.rotl (local.get 0) (i64.const 1)) (i64.rotl (local.get 0) (i64.const 127)))
             (i64.rotl (local.get 0) (i64.const 32))))
)
;; rotl(x,26) ^ rotl(x,21) ^ rotl(x,7) of 1: 0x04000000 ^ 0x00200000 ^ 0x80 = 0x04200080
(assert_return (invoke "sigma" (i32.const 1)) (i32.const 0x04200080))
;; of 0x80000001: 0x06000000 ^ 0x00300000 ^ 0xc0
(assert_return (invoke "sigma" (i32.const 0x80000001)) (i32.const 0x063000c0))
(assert_return (invoke "sigma" (i32.const 0)) (i32.const 0))
;; rotl(0x80000000, 33 = 1) = 1, ^ 0xf0 rotated by 0
(assert_return (invoke "rot2" (i32.const 0x80000000) (i32.const 0xf0) (i32.const 0) (i32.const 0)) (i32.const 0xf1))
;; rotl(0x1_00000003 as i32 = 3, 31) = 0x80000001; rotl(0xff_0000000f as i32 = 0xf, 4) = 0xf0
(assert_return (invoke "rot2_wrapped" (i64.const 0x100000003) (i64.const 0xff0000000f)) (i32.const 0x800000f1))
;; rotl(0x01020304, 8) = 0x02030401, rotl(.., 16) = 0x03040102: xor 0x01070503, + 0x02030401
(assert_return (invoke "rot2_kept" (i32.const 0x01020304)) (i32.const 0x030a0904))
;; rotl(x,1) ^ rotl(x,127 = 63) ^ rotl(x,32) of 0x8000000000000001:
;; 3 ^ 0xc000000000000000 ^ 0x0000000180000000
(assert_return (invoke "sigma64" (i64.const 0x8000000000000001)) (i64.const 0xc000000180000003))

;; `a + (v & w)` (i32) and `a + (v & k)` with a 32-bit mask (i64) are one
;; instruction (ADD_AND, ADD_ANDK64); a wider i64 mask is not fused.
(module
  (func (export "add_and") (param i32 i32 i32) (result i32)
    (i32.add (local.get 0) (i32.and (local.get 1) (local.get 2))))
  (func (export "and_add") (param i32 i32 i32) (result i32)
    (i32.add (i32.and (local.get 1) (local.get 2)) (local.get 0)))
  (func (export "add_and_wrapped") (param i64 i64 i64) (result i64)
    (i64.extend_i32_u (i32.add (i32.wrap_i64 (local.get 0)) (i32.and (i32.wrap_i64 (local.get 1)) (i32.wrap_i64 (local.get 2))))))
  (func (export "add_lo32") (param i64 i64) (result i64)
    (i64.add (i64.mul (local.get 0) (i64.const 3)) (i64.and (local.get 1) (i64.const 0xffffffff))))
  (func (export "add_mask_wide") (param i64 i64) (result i64)
    (i64.add (local.get 0) (i64.and (local.get 1) (i64.const 0x1ffffffff))))
  (func (export "add_mask_neg") (param i64 i64) (result i64)
    (i64.add (local.get 0) (i64.and (local.get 1) (i64.const -256))))
)
(assert_return (invoke "add_and" (i32.const 1) (i32.const 0xff0f) (i32.const 0x0ff0)) (i32.const 0x0f01))
(assert_return (invoke "and_add" (i32.const -1) (i32.const -1) (i32.const 1)) (i32.const 0))
(assert_return (invoke "add_and" (i32.const 0x7fffffff) (i32.const -1) (i32.const 1)) (i32.const 0x80000000))
(assert_return (invoke "add_and_wrapped" (i64.const 0x500000001) (i64.const 0x7ffffffff) (i64.const 0x3ffffffff)) (i64.const 0))
(assert_return (invoke "add_lo32" (i64.const 2) (i64.const 0xffffffffffffffff)) (i64.const 0x100000005))
(assert_return (invoke "add_lo32" (i64.const -1) (i64.const 0x123456789)) (i64.const 0x23456786))
(assert_return (invoke "add_mask_wide" (i64.const 1) (i64.const -1)) (i64.const 0x200000000))
(assert_return (invoke "add_mask_neg" (i64.const 1) (i64.const 0x1ff)) (i64.const 0x101))

;; An add of a load at `q + k` (i32, i64, f64) is one instruction (_MA):
;; u32(q + k) + offset, as for every _A access; out of bounds traps.
(module
  (memory 1)
  (data (i32.const 16) "\05\00\00\00\00\00\00\80\00\00\00\00\00\00\f8\3f")
  (func (export "i32_add_ma") (param i32 i32) (result i32)
    (i32.add (local.get 1) (i32.load offset=4 (i32.add (local.get 0) (i32.const 12)))))
  (func (export "i32_ma_add") (param i32 i32) (result i32)
    (i32.add (i32.load (i32.add (local.get 0) (i32.const 16))) (local.get 1)))
  (func (export "i64_add_ma") (param i32 i64) (result i64)
    (i64.add (local.get 1) (i64.load offset=16 (i32.add (local.get 0) (i32.const 0)))))
  (func (export "i64_add_ma_k") (param i32 i64) (result i64)
    (i64.add (i64.load (i32.add (local.get 0) (i32.const 16))) (local.get 1)))
  (func (export "f64_add_ma") (param i32 f64) (result f64)
    (f64.add (local.get 1) (f64.load (i32.add (local.get 0) (i32.const 24)))))
)
(assert_return (invoke "i32_add_ma" (i32.const 0) (i32.const 10)) (i32.const 15))
(assert_return (invoke "i32_ma_add" (i32.const 0) (i32.const -5)) (i32.const 0))
;; q + k wraps to 0
(assert_return (invoke "i32_ma_add" (i32.const -16) (i32.const 1)) (i32.const 1))
(assert_return (invoke "i32_add_ma" (i32.const -12) (i32.const 1)) (i32.const 1))
(assert_trap (invoke "i32_add_ma" (i32.const -16) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "i32_ma_add" (i32.const 65520) (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "i32_ma_add" (i32.const 65516) (i32.const 1)) (i32.const 1))
;; 0x8000000000000005 + 0x7ffffffffffffffb wraps to 0
(assert_return (invoke "i64_add_ma" (i32.const 0) (i64.const 0x7ffffffffffffffb)) (i64.const 0))
(assert_return (invoke "i64_add_ma_k" (i32.const 0) (i64.const 1)) (i64.const 0x8000000000000006))
(assert_trap (invoke "i64_add_ma_k" (i32.const 65513) (i64.const 1)) "out of bounds memory access")
(assert_return (invoke "f64_add_ma" (i32.const 0) (f64.const 0.5)) (f64.const 2))
(assert_return (invoke "f64_add_ma" (i32.const -24) (f64.const 0.5)) (f64.const 0.5))
(assert_return (invoke "f64_add_ma" (i32.const 8) (f64.const nan)) (f64.const nan:canonical))
(assert_trap (invoke "f64_add_ma" (i32.const 65505) (f64.const 1)) "out of bounds memory access")

;; A mask feeding an or with a shifted value, the mask a temporary used only
;; there, is one ANDK_OR_SHL (i32, i64): the shift count modulo the width,
;; any mask (also wider than 32 bits).
(module
  (func (export "join64") (param i64 i64) (result i64)
    (i64.or (i64.and (local.get 0) (i64.const 0xffffffff)) (i64.shl (local.get 1) (i64.const 32))))
  (func (export "join64_wide") (param i64 i64) (result i64)
    (i64.or (i64.and (local.get 0) (i64.const 0xff00ff00ff00ff00)) (i64.shl (local.get 1) (i64.const 68))))
  (func (export "join32") (param i32 i32) (result i32)
    (i32.or (i32.and (local.get 0) (i32.const 0xffff)) (i32.shl (local.get 1) (i32.const 48))))
  (func (export "join32_kept") (param i32 i32) (result i32)
    (local i32)
    ;; the mask also kept in a local: not fused, still right
    (i32.add (i32.or (local.tee 2 (i32.and (local.get 0) (i32.const 0xff))) (i32.shl (local.get 1) (i32.const 8)))
             (local.get 2)))
)
(assert_return (invoke "join64" (i64.const 0xaaaaaaaa12345678) (i64.const 0x9abcdef0)) (i64.const 0x9abcdef012345678))
(assert_return (invoke "join64" (i64.const -1) (i64.const -1)) (i64.const -1))
;; shl by 68 is by 4
(assert_return (invoke "join64_wide" (i64.const -1) (i64.const 1)) (i64.const 0xff00ff00ff00ff10))
;; shl by 48 is by 16
(assert_return (invoke "join32" (i32.const 0x12345678) (i32.const 0xabcd)) (i32.const 0xabcd5678))
(assert_return (invoke "join32_kept" (i32.const 0x1234) (i32.const 0x56)) (i32.const 0x5668))

;; A br_table whose index was computed just before into a temporary: `x - k`,
;; `x + k`, `x >> s`, or a load (i32 or u8, plain or at `a + k`) is folded
;; into the br_table. Out-of-range indexes (also after wrap-around) take the
;; default; a load out of bounds traps.
(module
  (memory 1)
  (data (i32.const 16) "\02\00\00\00\01\00\00\00\07\00\00\00\00\01\02\ff")
  (func $pick (param i32) (result i32)
    (block (block (block (block (br_table 0 1 2 3 (local.get 0))) (return (i32.const 10))) (return (i32.const 11))) (return (i32.const 12)))
    (i32.const 13))
  (func (export "sub") (param i32) (result i32)
    (block (block (block (block (br_table 0 1 2 3 (i32.sub (local.get 0) (i32.const 5)))) (return (i32.const 10))) (return (i32.const 11))) (return (i32.const 12)))
    (i32.const 13))
  (func (export "add") (param i32) (result i32)
    (block (block (block (block (br_table 0 1 2 3 (i32.add (local.get 0) (i32.const 2)))) (return (i32.const 10))) (return (i32.const 11))) (return (i32.const 12)))
    (i32.const 13))
  (func (export "shr") (param i32) (result i32)
    (block (block (block (block (br_table 0 1 2 3 (i32.shr_u (local.get 0) (i32.const 33)))) (return (i32.const 10))) (return (i32.const 11))) (return (i32.const 12)))
    (i32.const 13))
  (func (export "load") (param i32) (result i32)
    (block (block (block (block (br_table 0 1 2 3 (i32.load offset=16 (local.get 0)))) (return (i32.const 10))) (return (i32.const 11))) (return (i32.const 12)))
    (i32.const 13))
  (func (export "load_a") (param i32) (result i32)
    (block (block (block (block (br_table 0 1 2 3 (i32.load offset=4 (i32.add (local.get 0) (i32.const 12))))) (return (i32.const 10))) (return (i32.const 11))) (return (i32.const 12)))
    (i32.const 13))
  (func (export "load8") (param i32) (result i32)
    (block (block (block (block (br_table 0 1 2 3 (i32.load8_u offset=28 (local.get 0)))) (return (i32.const 10))) (return (i32.const 11))) (return (i32.const 12)))
    (i32.const 13))
  (func (export "load8_a") (param i32) (result i32)
    (block (block (block (block (br_table 0 1 2 3 (i32.load8_u (i32.add (local.get 0) (i32.const 28))))) (return (i32.const 10))) (return (i32.const 11))) (return (i32.const 12)))
    (i32.const 13))
  (func (export "tee_kept") (param i32) (result i32)
    (local i32)
    ;; the index is also kept in a local: no fusion, and the local holds it
    (block (block (block (block (br_table 0 1 2 3 (local.tee 1 (i32.sub (local.get 0) (i32.const 1))))) (return (i32.add (local.get 1) (i32.const 100)))) (return (i32.const 11))) (return (i32.const 12)))
    (i32.const 13))
)
(assert_return (invoke "sub" (i32.const 5)) (i32.const 10))
(assert_return (invoke "sub" (i32.const 7)) (i32.const 12))
(assert_return (invoke "sub" (i32.const 9)) (i32.const 13))
;; 4 - 5 wraps to 0xffffffff: the default
(assert_return (invoke "sub" (i32.const 4)) (i32.const 13))
(assert_return (invoke "add" (i32.const -1)) (i32.const 11))
(assert_return (invoke "add" (i32.const -3)) (i32.const 13))
;; shift by 33 & 31 = 1
(assert_return (invoke "shr" (i32.const 5)) (i32.const 12))
(assert_return (invoke "shr" (i32.const 1)) (i32.const 10))
(assert_return (invoke "shr" (i32.const -1)) (i32.const 13))
(assert_return (invoke "load" (i32.const 0)) (i32.const 12))
(assert_return (invoke "load" (i32.const 4)) (i32.const 11))
(assert_return (invoke "load" (i32.const 8)) (i32.const 13))
(assert_return (invoke "load_a" (i32.const 4)) (i32.const 11))
(assert_return (invoke "load8" (i32.const 0)) (i32.const 10))
(assert_return (invoke "load8" (i32.const 2)) (i32.const 12))
;; byte 0xff: 255, the default (not -1)
(assert_return (invoke "load8" (i32.const 3)) (i32.const 13))
(assert_return (invoke "load8_a" (i32.const 1)) (i32.const 11))
(assert_trap (invoke "load" (i32.const 65525)) "out of bounds memory access")
;; -12 + 12 wraps to address 0 (+ offset 4): a zero there
(assert_return (invoke "load_a" (i32.const -12)) (i32.const 10))
(assert_trap (invoke "load_a" (i32.const 65520)) "out of bounds memory access")
(assert_trap (invoke "load8" (i32.const 65508)) "out of bounds memory access")
(assert_return (invoke "tee_kept" (i32.const 1)) (i32.const 100))
(assert_return (invoke "tee_kept" (i32.const 3)) (i32.const 12))

;; Calls (CALL_WASM_ADDK) and count-down branches (I32_SUB_K folded into
;; ADDK_BR_*): an argument computed as `x - k` / `x + k` just before a call of
;; the same instance rides along with the call; `i -= k; if (i > n)` is one
;; add-compare-branch. fib's and ackermann's shapes, with wrap-around.
(module
  (func $fib (export "fib") (param i32) (result i32)
    (local i32)
    (if (i32.ge_u (local.get 0) (i32.const 2))
      (then
        (loop
          (local.set 1 (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (local.get 1)))
          (br_if 0 (i32.gt_u (local.tee 0 (i32.sub (local.get 0) (i32.const 2))) (i32.const 1))))))
    (i32.add (local.get 0) (local.get 1)))
  (func $ack (export "ack") (param i32 i32) (result i32)
    (if (local.get 0)
      (then
        (loop
          (local.set 1
            (if (result i32) (local.get 1)
              (then (call $ack (local.get 0) (i32.sub (local.get 1) (i32.const 1))))
              (else (i32.const 1))))
          (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))))
    (i32.add (local.get 1) (i32.const 1)))
  ;; the argument is the callee's second, and the sum wraps
  (func $pair (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))
  (func (export "second_arg") (param i32) (result i32)
    (call $pair (i32.const 100) (i32.add (local.get 0) (i32.const 5))))
  ;; the argument computed is not the last one: no fusion, same result
  (func (export "first_arg") (param i32) (result i32)
    (call $pair (i32.add (local.get 0) (i32.const -3)) (i32.const 7)))
  ;; a count-down loop by 3 with an unsigned compare: the sum wraps past 0
  (func (export "countdown") (param i32) (result i32)
    (local i32)
    (loop
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if 0 (i32.gt_u (local.tee 0 (i32.sub (local.get 0) (i32.const 3))) (i32.const 10))))
    (i32.add (i32.mul (local.get 1) (i32.const 1000)) (local.get 0)))
  ;; the same with a compare against a slot
  (func (export "countdown_to") (param i32 i32) (result i32)
    (local i32)
    (loop
      (local.set 2 (i32.add (local.get 2) (i32.const 1)))
      (br_if 0 (i32.ge_s (local.tee 0 (i32.sub (local.get 0) (i32.const 2))) (local.get 1))))
    (i32.add (i32.mul (local.get 2) (i32.const 1000)) (local.get 0)))
)
(assert_return (invoke "fib" (i32.const 0)) (i32.const 0))
(assert_return (invoke "fib" (i32.const 1)) (i32.const 1))
(assert_return (invoke "fib" (i32.const 2)) (i32.const 1))
(assert_return (invoke "fib" (i32.const 10)) (i32.const 55))
(assert_return (invoke "fib" (i32.const 20)) (i32.const 6765))
(assert_return (invoke "ack" (i32.const 0) (i32.const 5)) (i32.const 6))
(assert_return (invoke "ack" (i32.const 1) (i32.const 2)) (i32.const 4))
(assert_return (invoke "ack" (i32.const 2) (i32.const 3)) (i32.const 9))
(assert_return (invoke "ack" (i32.const 3) (i32.const 3)) (i32.const 61))
(assert_return (invoke "second_arg" (i32.const 10)) (i32.const 85))
;; 0x7ffffffe + 5 wraps to 0x80000003; 100 - that = 0x80000061
(assert_return (invoke "second_arg" (i32.const 0x7ffffffe)) (i32.const 0x80000061))
(assert_return (invoke "first_arg" (i32.const 10)) (i32.const 0))
(assert_return (invoke "first_arg" (i32.const 1)) (i32.const -9))
;; 20 -> 17 -> 14 -> 11 -> 8: four passes
(assert_return (invoke "countdown" (i32.const 20)) (i32.const 4008))
;; one pass each
(assert_return (invoke "countdown" (i32.const 12)) (i32.const 1009))
(assert_return (invoke "countdown" (i32.const 11)) (i32.const 1008))
;; 9 -> 7 -> 5 -> 3 -> 1 (not >= 2): four passes
(assert_return (invoke "countdown_to" (i32.const 9) (i32.const 2)) (i32.const 4001))
;; signed: 0x80000001 - 2 wraps to 0x7fffffff, >= 0, goes on; 0x7fffffff - 2
;; = 0x7ffffffd >= 0x7ffffffd, goes on; 0x7ffffffb < 0x7ffffffd stops: 3 passes,
;; 3000 + 0x7ffffffb wraps
(assert_return (invoke "countdown_to" (i32.const 0x80000001) (i32.const 0x7ffffffd)) (i32.const -2147480653))

;; A call into another instance switches memory 0 and the return switches
;; back (CALL, not CALL_WASM): each module reads its own memory around it.
(module $mem_a
  (memory 1)
  (data (i32.const 0) "\11\00\00\00")
  (func (export "peek") (param i32) (result i32) (i32.add (i32.load (i32.const 0)) (local.get 0))))
(register "mem_a" $mem_a)
(module
  (import "mem_a" "peek" (func $peek (param i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "\22\00\00\00")
  (func (export "both") (param i32) (result i32)
    ;; 0x22 + peek(x - 1) + 0x22, the loads before and after the call
    (i32.add (i32.add (i32.load (i32.const 0)) (call $peek (i32.sub (local.get 0) (i32.const 1))))
             (i32.load (i32.const 0)))))
;; 0x22 + (0x11 + 9) + 0x22
(assert_return (invoke "both" (i32.const 10)) (i32.const 0x5e))

;; Operators fused into their user (INTERP_SLOT_FUSIONS, INTERP_MASK_FUSIONS,
;; I32_ADD2K) and constants folded into the add or mask just before: each
;; with the temporary used only once, with wrap-around, and with the operand
;; on either side.
(module
  (func (export "add3") (param i32 i32 i32) (result i32)
    (i32.add (i32.add (local.get 0) (local.get 1)) (local.get 2)))
  (func (export "add3_left") (param i32 i32 i32) (result i32)
    (i32.add (local.get 2) (i32.add (local.get 0) (local.get 1))))
  (func (export "add3_64") (param i64 i64 i64) (result i64)
    (i64.add (local.get 2) (i64.add (local.get 0) (local.get 1))))
  (func (export "add_mul") (param i32 i32 i32) (result i32)
    (i32.add (i32.mul (local.get 0) (local.get 1)) (local.get 2)))
  (func (export "add_mul64") (param i64 i64 i64) (result i64)
    (i64.add (local.get 2) (i64.mul (local.get 0) (local.get 1))))
  (func (export "xor_and") (param i32 i32 i32) (result i32)
    (i32.xor (i32.and (local.get 0) (local.get 1)) (local.get 2)))
  (func (export "xor_andk") (param i32 i32) (result i32)
    (i32.xor (local.get 1) (i32.and (local.get 0) (i32.const 0xf0f0f0f0))))
  (func (export "add2k") (param i32 i32) (result i32)
    (i32.add (i32.add (local.get 0) (local.get 1)) (i32.const -7)))
  ;; the sum is also kept in a local: the add of k reads the local, no fusion
  (func (export "add2k_kept") (param i32 i32) (result i32)
    (local i32)
    (i32.add (i32.add (local.tee 2 (i32.add (local.get 0) (local.get 1))) (i32.const 3)) (local.get 2)))
  ;; the inner add reads the stack slot it writes (its first operand is a
  ;; stack value): the fused form reads it before writing
  (func (export "add3_stack") (param i32 i32 i32) (result i32)
    (i32.add (i32.add (i32.mul (local.get 0) (i32.const 3)) (local.get 1)) (local.get 2)))
  (func (export "fold_add") (param i32) (result i32)
    (i32.sub (i32.add (i32.add (local.get 0) (i32.const 5)) (i32.const 0x7ffffffd)) (i32.const 1)))
  (func (export "fold_sub") (param i32) (result i32)
    (i32.add (i32.sub (local.get 0) (i32.const 3)) (i32.const 10)))
  (func (export "fold_add64") (param i64) (result i64)
    (i64.sub (i64.add (local.get 0) (i64.const 0x7fffffffffffffff)) (i64.const -2)))
  (func (export "fold_and") (param i32) (result i32)
    (i32.and (i32.and (local.get 0) (i32.const 0xff00ff00)) (i32.const 0x0ff00ff0)))
  (func (export "fold_and64") (param i64) (result i64)
    (i64.and (i64.and (local.get 0) (i64.const 0xff00ff00ff00ff00)) (i64.const 0x0ff00ff00ff00ff0)))
  ;; the first add's result kept by local.tee: the second add is its own
  (func (export "fold_kept") (param i32) (result i32)
    (local i32)
    (i32.add (i32.add (local.tee 1 (i32.add (local.get 0) (i32.const 5))) (i32.const 1)) (local.get 1)))
)
(assert_return (invoke "add3" (i32.const 1) (i32.const 2) (i32.const 4)) (i32.const 7))
(assert_return (invoke "add3" (i32.const 0x7fffffff) (i32.const 1) (i32.const 0x80000000)) (i32.const 0))
(assert_return (invoke "add3_left" (i32.const 10) (i32.const 20) (i32.const -31)) (i32.const -1))
(assert_return (invoke "add3_64" (i64.const 0x7fffffffffffffff) (i64.const 2) (i64.const 5)) (i64.const 0x8000000000000006))
(assert_return (invoke "add_mul" (i32.const 7) (i32.const 6) (i32.const -2)) (i32.const 40))
;; 0x10000 * 0x10000 wraps to 0
(assert_return (invoke "add_mul" (i32.const 0x10000) (i32.const 0x10000) (i32.const 9)) (i32.const 9))
(assert_return (invoke "add_mul64" (i64.const 0x100000000) (i64.const 0x100000001) (i64.const 1)) (i64.const 0x100000001))
(assert_return (invoke "add_mul64" (i64.const -3) (i64.const 5) (i64.const 20)) (i64.const 5))
(assert_return (invoke "xor_and" (i32.const 0xff00) (i32.const 0x0ff0) (i32.const 0x1111)) (i32.const 0x1e11))
(assert_return (invoke "xor_andk" (i32.const 0xffffffff) (i32.const 0x0000ffff)) (i32.const 0xf0f00f0f))
(assert_return (invoke "add2k" (i32.const 3) (i32.const 4)) (i32.const 0))
(assert_return (invoke "add2k" (i32.const 0x80000000) (i32.const 6)) (i32.const 0x7fffffff))
(assert_return (invoke "add2k_kept" (i32.const 3) (i32.const 4)) (i32.const 17))
(assert_return (invoke "add3_stack" (i32.const 5) (i32.const 6) (i32.const 7)) (i32.const 28))
;; x + 5 + 0x7ffffffd - 1 = x + 0x80000001
(assert_return (invoke "fold_add" (i32.const 0)) (i32.const 0x80000001))
(assert_return (invoke "fold_add" (i32.const 0x7fffffff)) (i32.const 0))
(assert_return (invoke "fold_sub" (i32.const 0)) (i32.const 7))
(assert_return (invoke "fold_sub" (i32.const -7)) (i32.const 0))
;; x + 0x7fff...ffff + 2 = x + 0x8000...0001
(assert_return (invoke "fold_add64" (i64.const 0)) (i64.const 0x8000000000000001))
(assert_return (invoke "fold_add64" (i64.const 0x7fffffffffffffff)) (i64.const 0))
(assert_return (invoke "fold_and" (i32.const -1)) (i32.const 0x0f000f00))
(assert_return (invoke "fold_and64" (i64.const -1)) (i64.const 0x0f000f000f000f00))
;; (5 + 5) + 1 + (5 + 5)
(assert_return (invoke "fold_kept" (i32.const 5)) (i32.const 21))

;; Two ops in a row run in one dispatch (pair_ops: two i32.adds, adds of
;; constants, subtractions of constants as adds, a move then an add of a
;; constant), in order: the second may read what the first wrote, or
;; overwrite what the first read. Not when the second is a branch target.
(module
  (memory 1)
  (func (export "add_add") (param i32 i32 i32) (result i32)
    (local i32 i32)
    (local.set 3 (i32.add (local.get 0) (local.get 1)))
    (local.set 4 (i32.add (local.get 3) (local.get 2)))   ;; reads the first's result
    (i32.add (i32.mul (local.get 3) (i32.const 1000)) (local.get 4)))
  (func (export "add_overwrite") (param i32 i32) (result i32)
    (local i32)
    (local.set 2 (i32.add (local.get 0) (local.get 1)))
    (local.set 0 (i32.add (local.get 1) (local.get 1)))   ;; overwrites the first's operand
    (i32.add (i32.mul (local.get 2) (i32.const 1000)) (local.get 0)))
  (func (export "addk_subk") (param i32 i32) (result i32)
    (local.set 0 (i32.add (local.get 0) (i32.const 7)))
    (local.set 1 (i32.sub (local.get 1) (i32.const 3)))
    (i32.add (i32.mul (local.get 0) (i32.const 1000)) (local.get 1)))
  (func (export "subk_add") (param i32 i32) (result i32)
    (local i32)
    (local.set 0 (i32.sub (local.get 0) (i32.const -5)))
    (local.set 2 (i32.add (local.get 0) (local.get 1)))
    (i32.add (i32.mul (local.get 0) (i32.const 1000)) (local.get 2)))
  (func (export "add_addk") (param i32 i32) (result i32)
    (local i32)
    (local.set 2 (i32.add (local.get 0) (local.get 1)))
    (local.set 0 (i32.add (local.get 2) (i32.const 0x7fffffff)))
    (i32.add (i32.mul (local.get 2) (i32.const 1000)) (local.get 0)))
  ;; matmul's two address updates
  (func (export "walk") (param i32 i32 i32) (result i32)
    (local i32 i32 i32)
    (loop
      (local.set 4 (i32.add (local.get 3) (local.get 1)))
      (local.set 5 (i32.add (local.get 3) (local.get 2)))
      (i32.store (local.get 4) (i32.add (i32.load (local.get 4)) (i32.load (local.get 5))))
      (br_if 0 (i32.ne (local.tee 3 (i32.add (local.get 3) (i32.const 4))) (local.get 0))))
    (i32.load (local.get 1)))
  ;; the loop head is the second add: entering there skips the first
  (func (export "target") (param i32) (result i32)
    (local i32 i32)
    (local.set 1 (i32.add (local.get 1) (i32.const 100)))
    (loop
      (local.set 2 (i32.add (local.get 2) (i32.const 1)))
      (br_if 0 (i32.lt_u (local.get 2) (local.get 0))))
    (i32.add (local.get 1) (local.get 2)))
  ;; a move then an add of a constant
  (func (export "copy_addk") (param i32) (result i32)
    (local i32 i32)
    (local.set 1 (local.get 0))
    (local.set 2 (i32.sub (local.get 1) (i32.const 9)))
    (i32.add (i32.mul (local.get 1) (i32.const 1000)) (local.get 2)))
  (func (export "init") (param i32 i32)
    (i32.store (local.get 0) (local.get 1)))
)
(assert_return (invoke "add_add" (i32.const 1) (i32.const 2) (i32.const 4)) (i32.const 3007))
(assert_return (invoke "add_overwrite" (i32.const 5) (i32.const 7)) (i32.const 12014))
(assert_return (invoke "addk_subk" (i32.const 1) (i32.const 10)) (i32.const 8007))
(assert_return (invoke "addk_subk" (i32.const -7) (i32.const 3)) (i32.const 0))
(assert_return (invoke "subk_add" (i32.const 1) (i32.const 10)) (i32.const 6016))
(assert_return (invoke "add_addk" (i32.const 1) (i32.const 2)) (i32.const 0x80000bba))
(invoke "init" (i32.const 100) (i32.const 1))
(invoke "init" (i32.const 104) (i32.const 2))
(invoke "init" (i32.const 200) (i32.const 10))
(invoke "init" (i32.const 204) (i32.const 20))
;; mem[100 + j] += mem[200 + j] for j = 0, 4: returns mem[100] = 11
(assert_return (invoke "walk" (i32.const 8) (i32.const 100) (i32.const 200)) (i32.const 11))
(assert_return (invoke "init" (i32.const 0) (i32.const 0)))
(assert_return (invoke "target" (i32.const 5)) (i32.const 105))
(assert_return (invoke "target" (i32.const 0)) (i32.const 101))
(assert_return (invoke "copy_addk" (i32.const 20)) (i32.const 20011))
(assert_return (invoke "copy_addk" (i32.const 0)) (i32.const -9))

;; Tail duplication (translate.c, duplicate_tails): a `br` to a short run of
;; ops ending in a jump (here the VM's loop head: count the step, fetch the
;; opcode, br_table; and the halt tail ending in the return) becomes a copy of
;; that run. Every path through a copy is checked: each case, the br_table's
;; last entry and its default taken from a copy, a load trapping in a copy
;; (the fetch past the end of memory), and a trap in a copied tail. The byte
;; code: 0: acc += 1, 1: acc <<= 1, 2: acc -= 3, 3: halt, 4: acc += 10 then
;; halt, else: return -steps. Halt returns (acc * 100 + steps) / div.
(module
  (memory 1)
  (data (i32.const 0) "\00\01\00\01\02\04")
  (data (i32.const 8) "\03\07\00\00\09\00\03")
  (data (i32.const 65534) "\00\00")
  (func $vm (export "vm") (param $pc i32) (param $div i32) (result i32)
    (local $acc i32) (local $steps i32)
    (block $halt
      (block $default
        (loop $next
          (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
          (block $c4
            (block $c2
              (block $c1
                (block $c0
                  (br_table $c0 $c1 $c2 $halt $c4 $default (i32.load8_u (local.get $pc))))
                ;; case 0
                (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
                (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
                (br $next))
              ;; case 1
              (local.set $acc (i32.shl (local.get $acc) (i32.const 1)))
              (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
              (br $next))
            ;; case 2
            (local.set $acc (i32.sub (local.get $acc) (i32.const 3)))
            (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
            (br $next))
          ;; case 4
          (local.set $acc (i32.add (local.get $acc) (i32.const 10)))
          (br $halt)))
      (return (i32.sub (i32.const 0) (local.get $steps))))
    (i32.div_u (i32.add (i32.mul (local.get $acc) (i32.const 100)) (local.get $steps)) (local.get $div)))
  ;; a caller, so a trap in a copy has a frame below it
  (func (export "run_vm") (param i32 i32) (result i32)
    (i32.add (call $vm (local.get 0) (local.get 1)) (i32.const 0))))

;; 1, 2, 3, 6, 3, then 13 and halt through the copied tail: 1306 / div
(assert_return (invoke "vm" (i32.const 0) (i32.const 1)) (i32.const 1306))
(assert_return (invoke "vm" (i32.const 0) (i32.const 2)) (i32.const 653))
(assert_return (invoke "run_vm" (i32.const 0) (i32.const 7)) (i32.const 186))
(assert_trap (invoke "vm" (i32.const 0) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "run_vm" (i32.const 0) (i32.const 0)) "integer divide by zero")
;; halt through the br_table's entry 3, first and after a copy
(assert_return (invoke "vm" (i32.const 8) (i32.const 1)) (i32.const 1))
(assert_return (invoke "vm" (i32.const 13) (i32.const 1)) (i32.const 102))
;; out of range: the default, at once and from copies (the div is not reached)
(assert_return (invoke "vm" (i32.const 9) (i32.const 1)) (i32.const -1))
(assert_return (invoke "vm" (i32.const 10) (i32.const 1)) (i32.const -3))
(assert_return (invoke "vm" (i32.const 10) (i32.const 0)) (i32.const -3))
(assert_return (invoke "vm" (i32.const 11) (i32.const 1)) (i32.const -2))
(assert_return (invoke "vm" (i32.const 12) (i32.const 1)) (i32.const -1))
;; the fetch traps in a copy of the loop head: two steps, then past the end
(assert_trap (invoke "vm" (i32.const 65534) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "run_vm" (i32.const 65535) (i32.const 1)) "out of bounds memory access")

;; A move or a constant right before the jump it was made for runs with it in
;; one dispatch (translate.c, pair_jumps): a value carried by `br_if`, `br`
;; (a constant, a local) and a br_table entry to a block end, and a result
;; moved into place before a return. The code after the block is too long to
;; be copied into the branches (duplicate_tails), so the jumps stay jumps.
(module
  (func (export "carry") (param $x i32) (param $y i32) (result i32)
    (local $r i32)
    (local.set $r
      (block $b (result i32)
        (drop (br_if $b (local.get $y) (i32.gt_s (local.get $x) (i32.const 10))))
        (if (i32.eq (local.get $x) (i32.const 5)) (then (br $b (i32.const 55))))
        (if (i32.eq (local.get $x) (i32.const 6)) (then (br $b (local.get $x))))
        (i32.mul (local.get $x) (i32.const 3))))
    (local.set $r (i32.add (local.get $r) (i32.const 1)))
    (local.set $r (i32.xor (local.get $r) (i32.const 2)))
    (local.set $r (i32.add (local.get $r) (local.get $y)))
    (local.set $r (i32.sub (local.get $r) (local.get $x)))
    (local.set $r (i32.mul (local.get $r) (i32.const 2)))
    (local.set $r (i32.or (local.get $r) (i32.const 1)))
    (local.set $r (i32.add (local.get $r) (i32.const 1000)))
    (local.get $r))
  (func (export "table_value") (param $x i32) (param $y i32) (result i32)
    (local $r i32)
    (local.set $r
      (block $o (result i32)
        (i32.add
          (block $i (result i32) (br_table $i $o $i (local.get $y) (local.get $x)))
          (i32.const 1000))))
    (local.set $r (i32.mul (local.get $r) (i32.const 3)))
    (local.set $r (i32.xor (local.get $r) (i32.const 1)))
    (local.set $r (i32.add (local.get $r) (local.get $x)))
    (local.set $r (i32.sub (local.get $r) (local.get $y)))
    (local.set $r (i32.mul (local.get $r) (i32.const 2)))
    (local.set $r (i32.or (local.get $r) (i32.const 1)))
    (local.get $r))
  (func (export "ret_copy") (param i32 i32) (result i32)
    (if (local.get 0) (then (return (local.get 1))))
    (local.get 0)))

;; ((((r + 1) ^ 2) + y - x) * 2 | 1) + 1000 of r: y (x > 10), 55 (x = 5), x (x = 6), else 3x
(assert_return (invoke "carry" (i32.const 11) (i32.const 4)) (i32.const 1001))
(assert_return (invoke "carry" (i32.const 5) (i32.const 4)) (i32.const 1115))
(assert_return (invoke "carry" (i32.const 6) (i32.const 4)) (i32.const 1007))
(assert_return (invoke "carry" (i32.const 2) (i32.const 4)) (i32.const 1015))
(assert_return (invoke "carry" (i32.const -20) (i32.const 9)) (i32.const 945))
;; (((r * 3) ^ 1) + x - y) * 2 | 1 of r: y + 1000 (x = 0, 2 and out of range), y (x = 1)
(assert_return (invoke "table_value" (i32.const 0) (i32.const 7)) (i32.const 6027))
(assert_return (invoke "table_value" (i32.const 1) (i32.const 7)) (i32.const 29))
(assert_return (invoke "table_value" (i32.const 2) (i32.const 7)) (i32.const 6031))
(assert_return (invoke "table_value" (i32.const 9) (i32.const 7)) (i32.const 6045))
(assert_return (invoke "ret_copy" (i32.const 1) (i32.const 9)) (i32.const 9))
(assert_return (invoke "ret_copy" (i32.const 0) (i32.const 9)) (i32.const 0))

;; An i32.add (of a slot, of a constant) computing the result right before the
;; return runs with the return (PAIR_ADD_RETURN, PAIR_ADDK_RETURN), at the
;; function's end and inside it, also in a recursive function whose every
;; return is one (fib's `n + acc`).
(module
  (func (export "add_ret") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "addk_ret") (param i32) (result i32)
    (if (i32.eqz (local.get 0)) (then (return (i32.add (local.get 0) (i32.const -5)))))
    (i32.add (local.get 0) (i32.const 7)))
  (func $fib (export "fib_acc") (param $n i32) (result i32)
    (local $acc i32)
    (if (i32.ge_u (local.get $n) (i32.const 2))
      (then
        (loop $l
          (local.set $acc (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (local.get $acc)))
          (local.set $n (i32.sub (local.get $n) (i32.const 2)))
          (br_if $l (i32.gt_u (local.get $n) (i32.const 1))))))
    (i32.add (local.get $n) (local.get $acc))))

(assert_return (invoke "add_ret" (i32.const 0x7fffffff) (i32.const 1)) (i32.const 0x80000000))
(assert_return (invoke "add_ret" (i32.const -3) (i32.const 10)) (i32.const 7))
(assert_return (invoke "addk_ret" (i32.const 0)) (i32.const -5))
(assert_return (invoke "addk_ret" (i32.const -7)) (i32.const 0))
(assert_return (invoke "addk_ret" (i32.const 0xfffffffa)) (i32.const 1))
(assert_return (invoke "fib_acc" (i32.const 1)) (i32.const 1))
(assert_return (invoke "fib_acc" (i32.const 10)) (i32.const 55))
(assert_return (invoke "fib_acc" (i32.const 25)) (i32.const 75025))
