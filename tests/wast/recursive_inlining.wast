;; recursive_inlining.wast — functions that call themselves, in the shapes
;; the optimizing AOT copies one level of into themselves (src/aot/ir/
;; inline_rec.c): the copy's returns become jumps to the code after the
;; call, its parameters the call's arguments, its own recursive calls stay
;; calls. Each shape here is checked against values worked out by hand
;; (fib(20) = 6765, ack(2, 3) = 9, ack(3, 3) = 61, 2^k nodes of a tree); ctest
;; runs this file in every tier, strict in the optimizing variants.

(module
  (memory 1)
  ;; fib as clang writes it for wasm32: a loop adding fib(n - 1), n -= 2
  (func $fib (export "fib") (param i32) (result i32)
    (local i32)
    local.get 0
    i32.const 2
    i32.ge_u
    if
      loop
        local.get 0
        i32.const 1
        i32.sub
        call $fib
        local.get 1
        i32.add
        local.set 1
        local.get 0
        i32.const 2
        i32.sub
        local.tee 0
        i32.const 1
        i32.gt_u
        br_if 0
      end
    end
    local.get 0
    local.get 1
    i32.add)
  ;; two self-calls, the result of one the argument of the other
  (func $ack (export "ack") (param i32 i32) (result i32)
    (if (i32.eqz (local.get 0)) (then (return (i32.add (local.get 1) (i32.const 1)))))
    (if (i32.eqz (local.get 1))
      (then (return (call $ack (i32.sub (local.get 0) (i32.const 1)) (i32.const 1)))))
    (call $ack (i32.sub (local.get 0) (i32.const 1))
               (call $ack (local.get 0) (i32.sub (local.get 1) (i32.const 1)))))
  ;; the plain doubly recursive fib: two sites, an early return
  (func $fib2 (export "fib2") (param i64) (result i64)
    (if (i64.lt_u (local.get 0) (i64.const 2)) (then (return (local.get 0))))
    (i64.add (call $fib2 (i64.sub (local.get 0) (i64.const 1)))
             (call $fib2 (i64.sub (local.get 0) (i64.const 2)))))
  ;; floats through the recursion: sum of 1/2^k for k = 0..n-1
  (func $halves (export "halves") (param i32 f64) (result f64)
    (if (result f64) (i32.eqz (local.get 0))
      (then (f64.const 0))
      (else (f64.add (local.get 1)
                     (call $halves (i32.sub (local.get 0) (i32.const 1))
                                   (f64.mul (local.get 1) (f64.const 0.5)))))))
  ;; a tree in memory: node at address a holds the left and right child
  ;; addresses (0: none); build makes a complete tree of depth d at a bump
  ;; pointer in global $top, count walks it (loads that may trap), and
  ;; clear walks it storing zeroes (no result)
  (global $top (mut i32) (i32.const 8))
  (func $build (export "build") (param i32) (result i32)
    (local i32)
    global.get $top
    local.set 1
    global.get $top
    i32.const 8
    i32.add
    global.set $top
    (if (local.get 0)
      (then
        (i32.store (local.get 1) (call $build (i32.sub (local.get 0) (i32.const 1))))
        (i32.store offset=4 (local.get 1) (call $build (i32.sub (local.get 0) (i32.const 1)))))
      (else (i64.store (local.get 1) (i64.const 0))))
    local.get 1)
  (func $count (export "count") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (i32.add (i32.const 1)
                     (i32.add (call $count (i32.load (local.get 0)))
                              (call $count (i32.load offset=4 (local.get 0))))))
      (else (i32.const 0))))
  (func $clear (export "clear") (param i32)
    (if (i32.eqz (local.get 0)) (then (return)))
    (call $clear (i32.load (local.get 0)))
    (call $clear (i32.load offset=4 (local.get 0)))
    (i64.store (local.get 0) (i64.const 0)))
  (func (export "reset") (global.set $top (i32.const 8)))
  ;; a switch in the copy: collatz steps, recursively
  (func $steps (export "steps") (param i32) (result i32)
    (block $done
      (block $odd
        (block $even
          (br_table $done $even $odd
            (select (i32.const 0)
                    (i32.add (i32.const 1) (i32.and (local.get 0) (i32.const 1)))
                    (i32.eq (local.get 0) (i32.const 1)))))
        (return (i32.add (i32.const 1) (call $steps (i32.shr_u (local.get 0) (i32.const 1))))))
      (return (i32.add (i32.const 1)
                       (call $steps (i32.add (i32.mul (local.get 0) (i32.const 3)) (i32.const 1))))))
    (i32.const 0))
  ;; three self-calls (more than are copied) and a trap below the copy
  (func $tri (export "tri") (param i32) (result i32)
    (if (i32.le_s (local.get 0) (i32.const 0)) (then (return (i32.const 1))))
    (i32.add (call $tri (i32.sub (local.get 0) (i32.const 1)))
      (i32.add (call $tri (i32.sub (local.get 0) (i32.const 2)))
               (call $tri (i32.sub (local.get 0) (i32.const 3))))))
  (func $div_down (export "div_down") (param i32) (result i32)
    (if (result i32) (i32.le_u (local.get 0) (i32.const 1))
      (then (i32.div_u (i32.const 7) (local.get 0)))
      (else (call $div_down (i32.sub (local.get 0) (i32.const 1))))))
  ;; a loop first in the body (its head is not the entry), results from the loop
  (func $down (export "down") (param i32 i32) (result i32)
    (loop $l
      (if (i32.gt_u (local.get 0) (i32.const 100))
        (then (local.set 0 (i32.sub (local.get 0) (i32.const 7))) (br $l))))
    (if (result i32) (i32.eqz (local.get 0))
      (then (local.get 1))
      (else (call $down (i32.sub (local.get 0) (i32.const 1)) (i32.add (local.get 1) (local.get 0))))))
  (func $forever (export "forever") (param i32) (result i32)
    (call $forever (i32.add (local.get 0) (i32.const 1))))
)

(assert_return (invoke "fib" (i32.const 0)) (i32.const 0))
(assert_return (invoke "fib" (i32.const 1)) (i32.const 1))
(assert_return (invoke "fib" (i32.const 2)) (i32.const 1))
(assert_return (invoke "fib" (i32.const 3)) (i32.const 2))
(assert_return (invoke "fib" (i32.const 10)) (i32.const 55))
(assert_return (invoke "fib" (i32.const 20)) (i32.const 6765))
(assert_return (invoke "ack" (i32.const 0) (i32.const 5)) (i32.const 6))
(assert_return (invoke "ack" (i32.const 1) (i32.const 0)) (i32.const 2))
(assert_return (invoke "ack" (i32.const 2) (i32.const 3)) (i32.const 9))
(assert_return (invoke "ack" (i32.const 3) (i32.const 3)) (i32.const 61))
(assert_return (invoke "fib2" (i64.const 0)) (i64.const 0))
(assert_return (invoke "fib2" (i64.const 1)) (i64.const 1))
(assert_return (invoke "fib2" (i64.const 2)) (i64.const 1))
(assert_return (invoke "fib2" (i64.const 21)) (i64.const 10946))
(assert_return (invoke "halves" (i32.const 0) (f64.const 1)) (f64.const 0))
(assert_return (invoke "halves" (i32.const 1) (f64.const 1)) (f64.const 1))
(assert_return (invoke "halves" (i32.const 4) (f64.const 1)) (f64.const 1.875))
(assert_return (invoke "build" (i32.const 0)) (i32.const 8))
(assert_return (invoke "count" (i32.const 8)) (i32.const 1))
(assert_return (invoke "reset"))
(assert_return (invoke "build" (i32.const 5)) (i32.const 8))
(assert_return (invoke "count" (i32.const 8)) (i32.const 63))
(assert_return (invoke "count" (i32.const 0)) (i32.const 0))
(assert_return (invoke "clear" (i32.const 16)))
(assert_return (invoke "count" (i32.const 8)) (i32.const 33))
(assert_return (invoke "clear" (i32.const 8)))
(assert_return (invoke "count" (i32.const 8)) (i32.const 1))
;; a child address past the memory: the load in the copy traps
(assert_return (invoke "reset"))
(assert_return (invoke "build" (i32.const 1)) (i32.const 8))
(assert_return (invoke "count" (i32.const 8)) (i32.const 3))
(assert_return (invoke "count" (i32.const 65528)) (i32.const 1))
(assert_trap (invoke "count" (i32.const 65533)) "out of bounds memory access")
(assert_return (invoke "steps" (i32.const 1)) (i32.const 0))
(assert_return (invoke "steps" (i32.const 2)) (i32.const 1))
(assert_return (invoke "steps" (i32.const 3)) (i32.const 7))
(assert_return (invoke "steps" (i32.const 27)) (i32.const 111))
(assert_return (invoke "tri" (i32.const 0)) (i32.const 1))
(assert_return (invoke "tri" (i32.const 3)) (i32.const 9))
(assert_return (invoke "tri" (i32.const 6)) (i32.const 57))
(assert_return (invoke "div_down" (i32.const 1)) (i32.const 7))
(assert_return (invoke "div_down" (i32.const 9)) (i32.const 7))
(assert_trap (invoke "div_down" (i32.const 0)) "integer divide by zero")
(assert_return (invoke "down" (i32.const 3) (i32.const 0)) (i32.const 6))
(assert_return (invoke "down" (i32.const 110) (i32.const 1)) (i32.const 4657))
(assert_exhaustion (invoke "forever" (i32.const 0)) "call stack exhausted")
