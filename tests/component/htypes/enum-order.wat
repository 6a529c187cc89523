;; create-tcp-socket with the address-family labels swapped.
;; Instantiation must refuse it with a link error naming the first difference
;; (tests/cli/component_htypes.sh).
(component
  (import "wasi:sockets/network@0.2.0" (instance $n (export "network" (type (sub resource)))))
  (import "wasi:sockets/tcp@0.2.0" (instance $t (export "tcp-socket" (type (sub resource)))))
  (alias export $t "tcp-socket" (type $ts))
  (import "wasi:sockets/tcp-create-socket@0.2.0" (instance $c
    (alias outer 1 $ts (type $ts0))
    (export "tcp-socket" (type $s (eq $ts0)))
    (type $fam (enum "ipv6" "ipv4"))
    (type $o (own $s))
    (type $r (result $o (error u8)))
    (export "create-tcp-socket" (func (param "address-family" $fam) (result $r)))))
  (core module $m (func (export "run") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $ri (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $ri))
)
