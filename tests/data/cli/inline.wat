;; Small straight-line leaf functions the optimizing AOT pipeline inlines
;; (src/aot/ir/inline.c), called from a loop: parameters, constants, a
;; callee returning a parameter unchanged, a void callee writing a global,
;; floats, select, and callees that may trap (memory, division), which are
;; inlined only with WRUN_AOT_INLINE=all. tests/cli/aot_inline.sh compares
;; every export with the interpreter.
(module
  (memory 1)
  (global $g (mut i32) (i32.const 7))
  (func $add3 (param i32 i32 i32) (result i32)
    (i32.add (i32.add (local.get 0) (local.get 1)) (local.get 2)))
  (func $k (result i64) (i64.const 0x123456789))
  (func $id (param f64) (result f64) (local.get 0))
  (func $setg (param i32) (global.set $g (i32.xor (global.get $g) (local.get 0))))
  (func $mulhi (param i64 i64) (result i64) ;; high half of the 64x64 product, from 32-bit pieces
    (local $t i64)
    (local.set $t (i64.add
      (i64.shr_u (i64.mul (i64.and (local.get 0) (i64.const 0xffffffff)) (i64.and (local.get 1) (i64.const 0xffffffff))) (i64.const 32))
      (i64.mul (i64.shr_u (local.get 0) (i64.const 32)) (i64.and (local.get 1) (i64.const 0xffffffff)))))
    (i64.add (i64.add (i64.mul (i64.shr_u (local.get 0) (i64.const 32)) (i64.shr_u (local.get 1) (i64.const 32)))
                      (i64.shr_u (local.get $t) (i64.const 32)))
             (i64.shr_u (i64.add (i64.and (local.get $t) (i64.const 0xffffffff))
                                 (i64.mul (i64.and (local.get 0) (i64.const 0xffffffff)) (i64.shr_u (local.get 1) (i64.const 32))))
                        (i64.const 32))))
  (func $sel (param i32 i32 i32) (result i32) (select (local.get 0) (local.get 1) (local.get 2)))
  (func $ld (param i32) (result i32) (i32.load offset=4 (local.get 0)))
  (func $st (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func $div (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $acc i64) (local $x i64) (local $f f64)
    (local.set $x (i64.const 0x9e3779b97f4a7c15))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $setg (local.get $i))
        (call $st (i32.and (i32.mul (local.get $i) (i32.const 4)) (i32.const 0xfff)) (call $add3 (local.get $i) (global.get $g) (i32.const 3)))
        (local.set $x (i64.add (i64.mul (local.get $x) (i64.const 6364136223846793005)) (call $k)))
        (local.set $acc (i64.add (i64.rotl (local.get $acc) (i64.const 5))
          (i64.xor (call $mulhi (local.get $x) (i64.const 0xfedcba9876543211))
                   (i64.extend_i32_u (call $ld (i32.and (local.get $i) (i32.const 0xffc)))))))
        (local.set $acc (i64.add (local.get $acc)
          (i64.extend_i32_s (call $sel (call $div (i32.wrap_i64 (local.get $x)) (i32.or (local.get $i) (i32.const 1)))
                                       (local.get $i) (i32.and (local.get $i) (i32.const 1))))))
        (local.set $f (f64.add (call $id (local.get $f)) (f64.const 0.5)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i64.add (local.get $acc) (i64.trunc_f64_s (local.get $f))))
  (func (export "divtrap") (param i32) (result i32) (call $div (i32.const 1) (local.get 0)))
  (func (export "ldtrap") (param i32) (result i32) (call $ld (local.get 0))))
