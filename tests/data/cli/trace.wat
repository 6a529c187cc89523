;; Traps of every kind at known places, for comparing the positions in the
;; backtraces of compiled code with the interpreter's (tests/cli/aot.sh):
;; `run X K` traps in case K. $div and $load may trap and are straight-line
;; leaves, so the optimizing pipeline inlines them into $mid.
(module
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $div)
  (func $div (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func $load (param i32) (result i32) (i32.load offset=8 (local.get 0)))
  ;; two trap sites of one kind in one function: the trace says which trapped
  (func $two (param i32) (result i32)
    (i32.add (i32.div_s (i32.const 100) (i32.add (local.get 0) (i32.const 1)))
             (i32.rem_u (i32.const 7) (local.get 0))))
  (func $mid (param i32 i32) (result i32)
    (if (i32.eq (local.get 1) (i32.const 0)) (then (return (call $div (i32.const 1) (local.get 0)))))
    (if (i32.eq (local.get 1) (i32.const 1)) (then (return (call $load (local.get 0)))))
    (if (i32.eq (local.get 1) (i32.const 2)) (then (return (call $two (local.get 0)))))
    (if (i32.eq (local.get 1) (i32.const 3))
      (then (return (call_indirect (param i32 i32) (result i32) (i32.const 1) (i32.const 0) (local.get 0)))))
    (if (i32.eq (local.get 1) (i32.const 4)) (then (unreachable)))
    (i32.const 0))
  (func (export "run") (param i32 i32) (result i32) (nop) (call $mid (local.get 0) (local.get 1))))
