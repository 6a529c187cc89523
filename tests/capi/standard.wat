;; standard.wat — the module of standard_host.c: two host imports (one with
;; an environment), an exported memory, mutable global and table, a function
;; that calls both imports, one that reads memory and one that traps.
(module
  (import "host" "hello" (func $hello))
  (import "host" "add" (func $add (param i32 i32) (result i32)))
  (memory (export "memory") 1 2)
  (global $count (export "count") (mut i32) (i32.const 0))
  (table (export "table") 2 funcref)
  (elem (i32.const 0) $run)
  (func $run (export "run") (result i32)
    (call $hello)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (call $add (i32.const 40) (i32.const 2)))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "fail") (unreachable)))
