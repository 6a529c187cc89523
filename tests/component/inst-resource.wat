;; A resource with a constructor, a method and a destructor, exercised
;; through exports (tests/unit/test_cinst_instance.c). The representation is
;; the constructor's argument; the destructor records the rep it dropped.
(component
  (core module $dt
    (global $dropped (export "dropped") (mut i32) (i32.const 0))
    (func (export "dtor") (param i32) (global.set $dropped (local.get 0))))
  (core instance $d (instantiate $dt))
  (type $r (resource (rep i32) (dtor (core func $d "dtor"))))
  (core func $new (canon resource.new $r))
  (core func $rep (canon resource.rep $r))
  (core func $drop (canon resource.drop $r))
  (core module $m
    (import "r" "new" (func $new (param i32) (result i32)))
    (import "r" "drop" (func $drop (param i32)))
    (import "d" "dropped" (global $dropped (mut i32)))
    (func (export "ctor") (param i32) (result i32) (call $new (local.get 0)))
    ;; a borrow lowered into the defining instance arrives as the rep
    (func (export "get") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 10)))
    (func (export "consume") (param i32) (call $drop (local.get 0)))
    (func (export "dropped") (result i32) (global.get $dropped)))
  (core instance $ri (export "new" (func $new)) (export "drop" (func $drop)))
  (core instance $i (instantiate $m (with "r" (instance $ri)) (with "d" (instance $d))))
  (export $re "r" (type $r))
  (func (export "[constructor]r") (param "rep" u32) (result (own $re)) (canon lift (core func $i "ctor")))
  (func (export "[method]r.get") (param "self" (borrow $re)) (result u32) (canon lift (core func $i "get")))
  (func (export "consume") (param "x" (own $re)) (canon lift (core func $i "consume")))
  (func (export "dropped") (result u32) (canon lift (core func $i "dropped")))
)
