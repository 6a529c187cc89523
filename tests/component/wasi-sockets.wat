;; Imports wasi:sockets/instance-network@0.2.0: it must link against the WASI
;; 0.2 host (src/wasip2/sockets.c) and run (tests/cli/component_wasi.sh).
(component
  (import "wasi:sockets/instance-network@0.2.0" (instance $net
    (export "network" (type $n (sub resource)))
    (type $o (own $n))
    (export "instance-network" (func (result $o)))))
  (core func $get (canon lower (func $net "instance-network")))
  (core module $m
    (import "wasi" "net" (func (result i32)))
    (func (export "run") (result i32) (i32.const 0)))
  (core instance $w (export "net" (func $get)))
  (core instance $i (instantiate $m (with "wasi" (instance $w))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $ri (export "run" (func $run)))
  (export "wasi:cli/run@0.2.6" (instance $ri))
)
