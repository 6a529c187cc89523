;; A resource crossing component instances (tests/unit/test_cinst_instance.c):
;; $provider defines and exports resource `r` with a constructor, a method
;; and a destructor; $consumer imports them, so its own handle table holds the
;; `own<r>` the constructor returns, lends it as a `borrow<r>` to the method
;; (which, in the defining instance, sees the representation) and drops it,
;; which runs the provider's destructor. A second instance of $provider keeps
;; its own state.
(component
  (component $provider
    (core module $dt
      (global $dropped (export "dropped") (mut i32) (i32.const 0))
      (func (export "dtor") (param i32) (global.set $dropped (local.get 0))))
    (core instance $d (instantiate $dt))
    (type $r (resource (rep i32) (dtor (core func $d "dtor"))))
    (core func $new (canon resource.new $r))
    (core module $m
      (import "r" "new" (func $new (param i32) (result i32)))
      (import "d" "dropped" (global $dropped (mut i32)))
      (func (export "ctor") (param i32) (result i32) (call $new (local.get 0)))
      (func (export "get") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1000)))
      (func (export "dropped") (result i32) (global.get $dropped)))
    (core instance $ri (export "new" (func $new)))
    (core instance $i (instantiate $m (with "r" (instance $ri)) (with "d" (instance $d))))
    (export $re "r" (type $r))
    (func (export "[constructor]r") (param "rep" u32) (result (own $re)) (canon lift (core func $i "ctor")))
    (func (export "[method]r.get") (param "self" (borrow $re)) (result u32) (canon lift (core func $i "get")))
    (func (export "dropped") (result u32) (canon lift (core func $i "dropped"))))
  (component $consumer
    (import "r" (type $r (sub resource)))
    (import "[constructor]r" (func $ctor (param "rep" u32) (result (own $r))))
    (import "[method]r.get" (func $get (param "self" (borrow $r)) (result u32)))
    (core func $ctor-lowered (canon lower (func $ctor)))
    (core func $get-lowered (canon lower (func $get)))
    (core func $drop (canon resource.drop $r))
    (core module $m
      (import "p" "ctor" (func $ctor (param i32) (result i32)))
      (import "p" "get" (func $get (param i32) (result i32)))
      (import "p" "drop" (func $drop (param i32)))
      (func (export "roundtrip") (param $x i32) (result i32) (local $h i32) (local $v i32)
        (local.set $h (call $ctor (local.get $x)))
        (local.set $v (call $get (local.get $h)))
        (call $drop (local.get $h))
        (local.get $v))
      ;; using a handle after dropping it traps
      (func (export "use-after-drop") (param $x i32) (result i32) (local $h i32)
        (local.set $h (call $ctor (local.get $x)))
        (call $drop (local.get $h))
        (call $get (local.get $h))))
    (core instance $p
      (export "ctor" (func $ctor-lowered)) (export "get" (func $get-lowered)) (export "drop" (func $drop)))
    (core instance $i (instantiate $m (with "p" (instance $p))))
    (func (export "roundtrip") (param "x" u32) (result u32) (canon lift (core func $i "roundtrip")))
    (func (export "use-after-drop") (param "x" u32) (result u32) (canon lift (core func $i "use-after-drop"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer
    (with "r" (type $p "r"))
    (with "[constructor]r" (func $p "[constructor]r"))
    (with "[method]r.get" (func $p "[method]r.get"))))
  (export "roundtrip" (func $c "roundtrip"))
  (export "use-after-drop" (func $c "use-after-drop"))
  (export "dropped" (func $p "dropped"))
  ;; a second instance of the same component has its own state
  (instance $p2 (instantiate $provider))
  (export "dropped2" (func $p2 "dropped"))
)
