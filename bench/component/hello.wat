;; bench/component/hello.wat — the component hello of bench/startup: a
;; wasi:cli command whose run writes "hello\n" to stdout (get-stdout, then
;; output-stream.blocking-write-and-flush) and returns ok. One core module
;; (memory and code) and two lowered imports: what every component start-up
;; pays for, beside the core-module hello. hello.wasm is `jco parse hello.wat`
;; (checked in, so the bench needs no npm).
(component
  (import "wasi:io/error@0.2.0" (instance $err (export "error" (type (sub resource)))))
  (alias export $err "error" (type $error))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (alias outer 1 $error (type $e0))
    (export "error" (type $e (eq $e0)))
    (export "output-stream" (type $out (sub resource)))
    (type $own-e (own $e))
    (type $se0 (variant (case "last-operation-failed" $own-e) (case "closed")))
    (export "stream-error" (type $se (eq $se0)))
    (type $bout (borrow $out))
    (type $bytes (list u8))
    (type $wr (result (error $se)))
    (export "[method]output-stream.blocking-write-and-flush" (func (param "self" $bout) (param "contents" $bytes) (result $wr)))))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout
    (alias outer 1 $output-stream (type $s0))
    (export "output-stream" (type $s (eq $s0)))
    (type $o (own $s))
    (export "get-stdout" (func (result $o)))))
  (core module $mem (memory (export "mem") 1))
  (core instance $mem (instantiate $mem))
  (alias core export $mem "mem" (core memory $m))
  (core func $get-stdout (canon lower (func $stdout "get-stdout")))
  (core func $write (canon lower (func $streams "[method]output-stream.blocking-write-and-flush") (memory $m)))
  (core module $main
    (import "env" "mem" (memory 1))
    (import "env" "get-stdout" (func $get-stdout (result i32)))
    (import "env" "write" (func $write (param i32 i32 i32 i32)))
    (data (i32.const 64) "hello\n")
    ;; result<_, stream-error> lands at 16: 0 is ok
    (func (export "run") (result i32)
      (call $write (call $get-stdout) (i32.const 64) (i32.const 6) (i32.const 16))
      (i32.load8_u (i32.const 16))))
  (core instance $env (export "mem" (memory $m)) (export "get-stdout" (func $get-stdout)) (export "write" (func $write)))
  (core instance $main (instantiate $main (with "env" (instance $env))))
  (func $run (result (result)) (canon lift (core func $main "run")))
  (instance $run-instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run-instance))
)
