;; host_funcs.wat — a module that imports two host functions (examples/host_funcs.c):
;; env.log is called with each index, env.accumulate adds a value to the
;; host's running total and returns it. run(n) returns the total of 0..n-1.
(module
  (import "env" "log" (func $log (param i32)))
  (import "env" "accumulate" (func $acc (param i64) (result i64)))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $total i64)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $next
        (call $log (local.get $i))
        (local.set $total (call $acc (i64.extend_i32_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $next (i32.lt_u (local.get $i) (local.get $n)))))
    (local.get $total)))
