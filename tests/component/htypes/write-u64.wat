;; [method]output-stream.write with its list<u8> declared a u64: the host
;; would read a list out of an integer if it were called; link refuses it.
;; Instantiation must refuse it with a link error naming the first difference
;; (tests/cli/component_htypes.sh).
(component
  (import "wasi:io/error@0.2.0" (instance $err (export "error" (type (sub resource)))))
  (alias export $err "error" (type $error))
  (import "wasi:io/streams@0.2.0" (instance $s
    (alias outer 1 $error (type $e0))
    (export "error" (type $e (eq $e0)))
    (export "output-stream" (type $os (sub resource)))
    (type $se (variant (case "last-operation-failed" (own $e)) (case "closed")))
    (export "stream-error" (type $se2 (eq $se)))
    (type $b (borrow $os))
    (type $r (result (error $se2)))
    (export "[method]output-stream.write" (func (param "self" $b) (param "contents" u64) (result $r)))))
  (core module $libc (memory (export "mem") 1))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "mem" (core memory $mem))
  (core func $write (canon lower (func $s "[method]output-stream.write") (memory $mem)))
  (core module $m (func (export "run") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $ri (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $ri))
)
