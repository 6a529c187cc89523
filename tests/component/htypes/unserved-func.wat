;; The only WASI import: a function wasi:sockets/network does not have.
;; The host defines an interface family only when the component imports one
;; of its packages (wp2_add_imports), so this checks that the import still
;; reaches the sockets family and gets the same link error as when every
;; family was defined: the function, not the interface, is not provided
;; (tests/cli/component_htypes.sh).
(component
  (import "wasi:sockets/network@0.2.0" (instance $n
    (export "bogus" (func))))
  (core module $m (func (export "run") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $ri (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $ri))
)
