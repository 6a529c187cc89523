(module
  (type $bin (func (param i32 i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (import "env" "mem" (memory 1 4))
  (global $g (mut i32) (i32.const 7))
  (global $k i64 (i64.const -1))
  (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
  (func $fac (export "fac") (param $n i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (i64.const 1))
      (else (i64.mul (local.get $n) (call $fac (i64.sub (local.get $n) (i64.const 1)))))))
  (func (export "loop") (param $n i32) (result i32) (local $acc i32)
    block $done
      loop $top
        local.get $n
        i32.eqz
        br_if $done
        local.get $acc
        local.get $n
        i32.add
        local.set $acc
        local.get $n
        i32.const 1
        i32.sub
        local.set $n
        br $top
      end
    end
    local.get $acc)
  (data (i32.const 16) "hello\00\ff\u{263a}")
  (start $init)
  (func $init (global.set $g (i32.const 1)) (call $log (global.get $g))))
