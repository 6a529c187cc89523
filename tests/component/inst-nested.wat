;; Component-to-component calls (tests/unit/test_cinst_instance.c): $provider
;; lifts `double` and `echo`; $consumer imports them, lowers them into its
;; own core module (its own memory and realloc) and lifts `run` and `greet`.
;; Strings cross from one linear memory to the other through the canonical ABI.
(component
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      (global $bump (mut i32) (i32.const 1024))
      (func (export "realloc") (param $old i32) (param $osz i32) (param $align i32) (param $nsz i32) (result i32)
        (local $p i32)
        (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                               (i32.sub (i32.const 0) (local.get $align))))
        (global.set $bump (i32.add (local.get $p) (local.get $nsz)))
        (local.get $p))
      (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
      ;; echo with the first byte upper-cased (ASCII)
      (func (export "echo") (param i32 i32) (result i32)
        (if (local.get 1)
          (then (i32.store8 (local.get 0) (i32.sub (i32.load8_u (local.get 0)) (i32.const 32)))))
        (i32.store (i32.const 16) (local.get 0))
        (i32.store (i32.const 20) (local.get 1))
        (i32.const 16)))
    (core instance $i (instantiate $m))
    (func (export "double") (param "x" u32) (result u32) (canon lift (core func $i "double")))
    (func (export "echo") (param "s" string) (result string)
      (canon lift (core func $i "echo") (memory (core memory $i "mem")) (realloc (core func $i "realloc")))))
  (component $consumer
    (import "double" (func $double (param "x" u32) (result u32)))
    (import "echo" (func $echo (param "s" string) (result string)))
    (core module $mem
      (memory (export "mem") 1)
      (global $bump (mut i32) (i32.const 2048))
      (func (export "realloc") (param $old i32) (param $osz i32) (param $align i32) (param $nsz i32) (result i32)
        (local $p i32)
        (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                               (i32.sub (i32.const 0) (local.get $align))))
        (global.set $bump (i32.add (local.get $p) (local.get $nsz)))
        (local.get $p)))
    (core instance $mi (instantiate $mem))
    (alias core export $mi "mem" (core memory $cmem))
    (core func $double-lowered (canon lower (func $double)))
    (core func $echo-lowered (canon lower (func $echo) (memory (core memory $mi "mem")) (realloc (core func $mi "realloc"))))
    (core module $user
      (import "env" "mem" (memory 1))
      (import "env" "double" (func $double (param i32) (result i32)))
      (import "env" "echo" (func $echo (param i32 i32 i32)))
      (func (export "run") (param $x i32) (result i32)
        (i32.add (call $double (call $double (local.get $x))) (i32.const 1)))
      ;; greet: passes its string argument on, returns the echo's result area
      (func (export "greet") (param i32 i32) (result i32)
        (call $echo (local.get 0) (local.get 1) (i32.const 64))
        (i32.const 64)))
    (core instance $env
      (export "mem" (memory $cmem))
      (export "double" (func $double-lowered))
      (export "echo" (func $echo-lowered)))
    (core instance $u (instantiate $user (with "env" (instance $env))))
    (func (export "run") (param "x" u32) (result u32) (canon lift (core func $u "run")))
    (func (export "greet") (param "s" string) (result string)
      (canon lift (core func $u "greet") (memory (core memory $mi "mem")) (realloc (core func $mi "realloc")))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer
    (with "double" (func $p "double"))
    (with "echo" (func $p "echo"))))
  (export "run" (func $c "run"))
  (export "greet" (func $c "greet"))
)
