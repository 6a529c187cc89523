;; Host imports (tests/unit/test_cinst_instance.c): a function imported by
;; name and a function of an imported interface, both lowered into a core
;; module; the host sees lifted values and its results are lowered back.
(component
  (import "log" (func $log (param "msg" string) (result u32)))
  (import "test:demo/math@0.1.0" (instance $math
    (export "mul" (func (param "a" u32) (param "b" u32) (result u32)))))
  (alias export $math "mul" (func $mul))
  (core module $mem
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param $old i32) (param $osz i32) (param $align i32) (param $nsz i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (global.set $bump (i32.add (local.get $p) (local.get $nsz)))
      (local.get $p)))
  (core instance $mi (instantiate $mem))
  (alias core export $mi "mem" (core memory $memory))
  (alias core export $mi "realloc" (core func $realloc))
  (core func $log-lowered (canon lower (func $log) (memory $memory)))
  (core func $mul-lowered (canon lower (func $mul)))
  (core module $user
    (import "env" "mem" (memory 1))
    (import "env" "log" (func $log (param i32 i32) (result i32)))
    (import "env" "mul" (func $mul (param i32 i32) (result i32)))
    (data (i32.const 100) "hello from core")
    ;; log the greeting (the host returns its length), times x
    (func (export "run") (param $x i32) (result i32)
      (call $mul (call $log (i32.const 100) (i32.const 15)) (local.get $x))))
  (core instance $env
    (export "mem" (memory $memory))
    (export "log" (func $log-lowered))
    (export "mul" (func $mul-lowered)))
  (core instance $u (instantiate $user (with "env" (instance $env))))
  (func (export "run") (param "x" u32) (result u32) (canon lift (core func $u "run")))
)
