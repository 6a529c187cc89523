;; A resource implemented by the host (tests/unit/test_cinst_instance.c): the
;; imported interface test:demo/counter exports resource `counter` with a
;; constructor and a method; the core code makes one, calls the method twice
;; through a borrow and drops it, which runs the host's destructor.
(component
  (import "test:demo/counter" (instance $ci
    (export "counter" (type (sub resource)))
    (export "[constructor]counter" (func (param "start" u32) (result (own 0))))
    (export "[method]counter.next" (func (param "self" (borrow 0)) (result u32)))))
  (alias export $ci "counter" (type $counter))
  (alias export $ci "[constructor]counter" (func $new))
  (alias export $ci "[method]counter.next" (func $next))
  (core func $new-lowered (canon lower (func $new)))
  (core func $next-lowered (canon lower (func $next)))
  (core func $drop (canon resource.drop $counter))
  (core module $m
    (import "c" "new" (func $new (param i32) (result i32)))
    (import "c" "next" (func $next (param i32) (result i32)))
    (import "c" "drop" (func $drop (param i32)))
    (func (export "count") (param $start i32) (result i32) (local $h i32) (local $a i32)
      (local.set $h (call $new (local.get $start)))
      (local.set $a (call $next (local.get $h)))
      (local.set $a (i32.add (i32.mul (local.get $a) (i32.const 100)) (call $next (local.get $h))))
      (call $drop (local.get $h))
      (local.get $a)))
  (core instance $c
    (export "new" (func $new-lowered)) (export "next" (func $next-lowered)) (export "drop" (func $drop)))
  (core instance $i (instantiate $m (with "c" (instance $c))))
  (func (export "count") (param "start" u32) (result u32) (canon lift (core func $i "count")))
)
