;; Reentrance through the host (tests/unit/test_cinst_instance.c): `go` calls
;; the host's `cb`, which calls back into this same instance (`seven`); the
;; instance is on the stack (may_enter is false), so that call must trap,
;; and the instance must be usable again after the trap unwound.
(component
  (import "cb" (func $cb (result u32)))
  (core func $cb-low (canon lower (func $cb)))
  (core module $m
    (import "h" "cb" (func $cb (result i32)))
    (func (export "go") (result i32) (i32.add (call $cb) (i32.const 1)))
    (func (export "seven") (result i32) (i32.const 7)))
  (core instance $h (export "cb" (func $cb-low)))
  (core instance $i (instantiate $m (with "h" (instance $h))))
  (func (export "go") (result u32) (canon lift (core func $i "go")))
  (func (export "seven") (result u32) (canon lift (core func $i "seven")))
)
