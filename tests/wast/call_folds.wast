;; call_folds.wast — values the optimizing AOT keeps in the calling
;; convention's registers around a direct call (docs/aot.md, "Values around
;; a direct call"): a call's result read by the one ALU operation after it
;; (as either operand, of every folded kind and both widths), an operation
;; computed right before a call as its first or second argument, the two
;; chained (one call's folded result the next call's folded argument), an
;; argument after a v128 one, and enough live values around the calls that
;; some live in the frame. Expected values are worked out by hand; ctest
;; runs this file in every tier, strict in the optimizing variants.

(module
  (func $id (param i32) (result i32) (local.get 0))
  (func $sub2 (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))
  (func $id64 (param i64) (result i64) (local.get 0))
  (func $pair64 (param i64 i64) (result i64) (i64.sub (local.get 0) (i64.mul (local.get 1) (i64.const 3))))
  (func $after_v (param v128 i32) (result i32)
    (i32.add (i32x4.extract_lane 1 (local.get 0)) (local.get 1)))

  ;; the result as the second operand, then as the first (sub: order matters)
  (func (export "res_second") (param i32) (result i32)
    (i32.sub (i32.const 100) (call $id (local.get 0))))
  (func (export "res_first") (param i32) (result i32)
    (i32.sub (call $id (local.get 0)) (i32.const 100)))
  (func (export "res_ops") (param i32 i32) (result i32)
    (local $x i32)
    (local.set $x (i32.add (local.get 1) (call $id (local.get 0))))
    (local.set $x (i32.mul (local.get $x) (call $id (i32.const 3))))
    (local.set $x (i32.xor (local.get $x) (call $id (local.get 1))))
    (local.set $x (i32.and (local.get $x) (call $id (i32.const 0xfff))))
    (i32.or (local.get $x) (call $id (i32.const 0x10000))))
  (func (export "res64") (param i64) (result i64)
    (i64.sub (call $id64 (local.get 0)) (i64.mul (local.get 0) (call $id64 (i64.const 2)))))

  ;; arguments computed right before the call, in position 0 and 1, while
  ;; their operands stay live after it
  (func (export "args") (param i32 i32) (result i32)
    (i32.add
      (call $sub2 (i32.add (local.get 0) (i32.const 5)) (i32.mul (local.get 1) (local.get 0)))
      (i32.add (local.get 0) (local.get 1))))
  (func (export "args64") (param i64 i64) (result i64)
    (i64.add (call $pair64 (i64.xor (local.get 0) (local.get 1)) (i64.sub (local.get 1) (i64.const 1)))
             (local.get 0)))
  ;; chained: a folded result is the folded argument of the next call
  (func (export "chain") (param i32) (result i32)
    (call $id (i32.add (call $id (local.get 0)) (local.get 0))))
  (func (export "chain_deep") (param i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc)
                               (call $sub2 (i32.add (local.get $i) (i32.const 1))
                                           (i32.sub (local.get 0) (i32.mul (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get 0))))
    (local.get $acc))
  ;; after a v128 argument the i32 one travels in the slots
  (func (export "after_v") (param i32) (result i32)
    (call $after_v (i32x4.splat (local.get 0)) (i32.add (local.get 0) (i32.const 1))))
  ;; more values live across the calls than there are registers
  (func (export "crowd") (param i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32)
    (local $f i32) (local $g i32) (local $h i32) (local $i i32) (local $j i32)
    (local.set $a (i32.add (local.get 0) (i32.const 1)))
    (local.set $b (i32.add (local.get 0) (i32.const 2)))
    (local.set $c (i32.add (local.get 0) (i32.const 3)))
    (local.set $d (i32.add (local.get 0) (i32.const 4)))
    (local.set $e (i32.add (local.get 0) (i32.const 5)))
    (local.set $f (i32.add (local.get 0) (i32.const 6)))
    (local.set $g (i32.add (local.get 0) (i32.const 7)))
    (local.set $h (i32.add (local.get 0) (i32.const 8)))
    (local.set $i (i32.add (local.get 0) (i32.const 9)))
    (local.set $j (i32.add (call $sub2 (i32.mul (local.get $a) (local.get $b)) (i32.add (local.get $c) (local.get $d)))
                           (local.get $e)))
    (local.set $j (i32.sub (call $id (i32.add (local.get $j) (local.get $f))) (local.get $g)))
    (i32.add (i32.add (i32.add (local.get $j) (local.get $h)) (local.get $i))
             (i32.add (i32.add (local.get $a) (local.get $b)) (i32.add (local.get $c) (local.get $d)))))
)

(assert_return (invoke "res_second" (i32.const 7)) (i32.const 93))
(assert_return (invoke "res_first" (i32.const 7)) (i32.const -93))
;; (5 + 2) * 3 = 21, ^ 5 = 16, & 0xfff = 16, | 0x10000 = 65552
(assert_return (invoke "res_ops" (i32.const 2) (i32.const 5)) (i32.const 65552))
;; 10 - 10 * 2
(assert_return (invoke "res64" (i64.const 10)) (i64.const -10))
(assert_return (invoke "res64" (i64.const -4611686018427387904)) (i64.const 4611686018427387904))
;; sub2(3 + 5, 4 * 3) + 7 = 8 - 12 + 7
(assert_return (invoke "args" (i32.const 3) (i32.const 4)) (i32.const 3))
;; pair64(6 ^ 3, 2) + 6 = 5 - 6 + 6
(assert_return (invoke "args64" (i64.const 6) (i64.const 3)) (i64.const 5))
(assert_return (invoke "chain" (i32.const 21)) (i32.const 42))
;; sum over i < n of (i + 1) - (n - 2i) = (n * n - n) / 2
(assert_return (invoke "chain_deep" (i32.const 4)) (i32.const 6))
(assert_return (invoke "chain_deep" (i32.const 5)) (i32.const 10))
(assert_return (invoke "chain_deep" (i32.const 10)) (i32.const 45))
(assert_return (invoke "chain_deep" (i32.const 1)) (i32.const 0))
;; lane 1 of splat(9) + 10
(assert_return (invoke "after_v" (i32.const 9)) (i32.const 19))
;; x = 1: a..i = 2..10; j = sub2(2*3, 4+5) + 6 = 3; j = id(3 + 7) - 8 = 2;
;; 2 + 9 + 10 + (2 + 3) + (4 + 5) = 35
(assert_return (invoke "crowd" (i32.const 1)) (i32.const 35))
