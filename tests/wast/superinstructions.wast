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
