;; trap.wat — three nested functions, the innermost dividing by its argument
;; (examples/trap.c): outer(0) traps with "integer divide by zero" and a
;; trace of inner (0), middle (1), outer (2).
(module
  (func $inner (param i32) (result i32) (i32.div_u (i32.const 100) (local.get 0)))
  (func $middle (param i32) (result i32) (call $inner (local.get 0)))
  (func $outer (export "outer") (param i32) (result i32) (call $middle (local.get 0))))
