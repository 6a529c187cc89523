;; Imports wasi:sockets with the right names but a wrong type for
;; tcp-socket.start-bind (its address is declared a u32): instantiation must
;; refuse it (a link error naming the function), never call the host with a u32
;; (tests/cli/component_sockets.sh). run creates a socket (a real handle for
;; `self`), then calls start-bind with the network handle and 7.
(component
  (import "wasi:sockets/network@0.2.0" (instance $network
    (export "network" (type (sub resource)))))
  (alias export $network "network" (type $net))
  (import "wasi:sockets/instance-network@0.2.0" (instance $inet
    (alias outer 1 $net (type $n0))
    (export "network" (type $n (eq $n0)))
    (type $o (own $n))
    (export "instance-network" (func (result $o)))))
  (import "wasi:sockets/tcp@0.2.0" (instance $tcp
    (alias outer 1 $net (type $n0))
    (export "network" (type $n (eq $n0)))
    (export "tcp-socket" (type $t (sub resource)))
    (type $bt (borrow $t))
    (type $bn (borrow $n))
    (export "[method]tcp-socket.start-bind" (func (param "self" $bt) (param "network" $bn) (param "local-address" u32) (result u32)))))
  (alias export $tcp "tcp-socket" (type $tcp-socket))
  (import "wasi:sockets/tcp-create-socket@0.2.0" (instance $create
    (alias outer 1 $tcp-socket (type $t0))
    (export "tcp-socket" (type $t (eq $t0)))
    (type $o (own $t))
    (type $fam (enum "ipv4" "ipv6"))
    (type $r (result $o (error u8)))
    (export "create-tcp-socket" (func (param "address-family" $fam) (result $r)))))
  (core module $libc (memory (export "mem") 1))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "mem" (core memory $mem))
  (core func $inet (canon lower (func $inet "instance-network")))
  (core func $create (canon lower (func $create "create-tcp-socket") (memory $mem)))
  (core func $bind (canon lower (func $tcp "[method]tcp-socket.start-bind")))
  (core module $m
    (import "libc" "mem" (memory 1))
    (import "wasi" "inet" (func $inet (result i32)))
    (import "wasi" "create" (func $create (param i32 i32)))
    (import "wasi" "bind" (func $bind (param i32 i32 i32) (result i32)))
    (func (export "run") (result i32)
      (local $net i32)
      (local.set $net (call $inet))
      (call $create (i32.const 0) (i32.const 16))
      ;; result<own<tcp-socket>, u8> at 16: tag, then the handle at 20
      (if (i32.load8_u (i32.const 16)) (then (return (i32.const 1))))
      (drop (call $bind (i32.load (i32.const 20)) (local.get $net) (i32.const 7)))
      (i32.const 0)))
  (core instance $w (export "inet" (func $inet)) (export "create" (func $create)) (export "bind" (func $bind)))
  (core instance $i (instantiate $m (with "wasi" (instance $w)) (with "libc" (instance $libc))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $ri (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $ri))
)
