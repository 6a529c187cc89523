;; Resources: definition with a destructor, own/borrow handles, resource.new/drop/rep,
;; [constructor]/[method]/[static] names, and a resource imported with an instance.
(component
  (core module $m
    (func (export "dtor") (param i32))
    (func (export "ctor") (param i32) (result i32) i32.const 0)
    (func (export "get") (param i32) (result i32) i32.const 0)
    (func (export "make") (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (type $file (resource (rep i32) (dtor (core func $i "dtor"))))
  (core func $new (canon resource.new $file))
  (core func $drop (canon resource.drop $file))
  (core func $rep (canon resource.rep $file))
  (export $f "file" (type $file))
  (type $own (own $f))
  (type $borrow (borrow $f))
  (func $ctor (param "fd" u32) (result $own) (canon lift (core func $i "ctor")))
  (func $get (param "self" $borrow) (result u32) (canon lift (core func $i "get")))
  (func $make (result $own) (canon lift (core func $i "make")))
  (export "[constructor]file" (func $ctor))
  (export "[method]file.get" (func $get))
  (export "[static]file.make" (func $make))
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type $p (sub resource)))
    (export "[method]pollable.ready" (func (param "self" (borrow $p)) (result bool)))
    (export "poll" (func (param "in" (list (borrow $p))) (result (list u32))))))
  (alias export $poll "pollable" (type $pollable))
  (core func $drop-pollable (canon resource.drop $pollable))
)
