;; Traps inside a recursion, for comparing the backtraces of compiled code
;; with the interpreter's (tests/cli/aot.sh): the optimizing pipeline copies
;; one level of $rec and of $walk into themselves (src/aot/ir/inline_rec.c),
;; so every other frame of the trace is an inlined copy. `run N K`: $rec
;; recurses N levels and divides by zero (K = 0), $walk follows N links of
;; a list in memory and reads past the memory's end (K = 1).
(module
  (memory 1)
  (func $rec (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.div_u (i32.const 1) (local.get 0)))
      (else (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func $walk (param i32 i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.load (local.get 1)))
      (else (i32.add (call $walk (i32.sub (local.get 0) (i32.const 1)) (i32.load (local.get 1)))
                     (i32.const 1)))))
  (func (export "run") (param i32 i32) (result i32)
    ;; the list: address 0 links to 4, 4 to 8, ..., the last link past the end
    (local $a i32)
    (loop $l
      (i32.store (local.get $a) (i32.add (local.get $a) (i32.const 4)))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (br_if $l (i32.lt_u (local.get $a) (i32.mul (local.get 0) (i32.const 4)))))
    (i32.store (i32.mul (local.get 0) (i32.const 4)) (i32.const 65536))
    (if (result i32) (local.get 1)
      (then (call $walk (i32.add (local.get 0) (i32.const 1)) (i32.const 0)))
      (else (call $rec (local.get 0))))))
