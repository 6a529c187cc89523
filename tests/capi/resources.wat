;; resources.wat — a component importing a resource type its embedder
;; implements (tests/capi/resources.c, through wrun_component_host_add_resource).
;; test:res/blobs@0.1.0 has resource `blob` with a constructor, a method
;; taking a borrow, and `consume`, which takes ownership. `run` makes two
;; blobs, reads one through a borrow, drops it (the host's destructor runs)
;; and hands the other to the host; the other exports use a handle after
;; dropping it and after moving it, which must trap.
(component
  (import "test:res/blobs@0.1.0" (instance $ci
    (export "blob" (type (sub resource)))
    (export "[constructor]blob" (func (param "size" u32) (result (own 0))))
    (export "[method]blob.size" (func (param "self" (borrow 0)) (result u32)))
    (export "consume" (func (param "b" (own 0)) (result u32)))))
  (alias export $ci "blob" (type $blob))
  (alias export $ci "[constructor]blob" (func $new))
  (alias export $ci "[method]blob.size" (func $size))
  (alias export $ci "consume" (func $consume))
  (core func $new-l (canon lower (func $new)))
  (core func $size-l (canon lower (func $size)))
  (core func $consume-l (canon lower (func $consume)))
  (core func $drop (canon resource.drop $blob))
  (core module $m
    (import "c" "new" (func $new (param i32) (result i32)))
    (import "c" "size" (func $size (param i32) (result i32)))
    (import "c" "consume" (func $consume (param i32) (result i32)))
    (import "c" "drop" (func $drop (param i32)))
    (func (export "run") (param $n i32) (result i32) (local $a i32) (local $b i32) (local $r i32)
      (local.set $a (call $new (local.get $n)))
      (local.set $b (call $new (i32.add (local.get $n) (i32.const 1))))
      (local.set $r (call $size (local.get $a)))
      (call $drop (local.get $a))
      (i32.add (i32.mul (local.get $r) (i32.const 1000)) (call $consume (local.get $b))))
    (func (export "use-after-drop") (result i32) (local $a i32)
      (local.set $a (call $new (i32.const 5)))
      (call $drop (local.get $a))
      (call $size (local.get $a)))
    (func (export "use-after-move") (result i32) (local $a i32)
      (local.set $a (call $new (i32.const 6)))
      (drop (call $consume (local.get $a)))
      (call $size (local.get $a))))
  (core instance $c
    (export "new" (func $new-l)) (export "size" (func $size-l))
    (export "consume" (func $consume-l)) (export "drop" (func $drop)))
  (core instance $i (instantiate $m (with "c" (instance $c))))
  (func (export "run") (param "n" u32) (result u32) (canon lift (core func $i "run")))
  (func (export "use-after-drop") (result u32) (canon lift (core func $i "use-after-drop")))
  (func (export "use-after-move") (result u32) (canon lift (core func $i "use-after-move")))
)
