;; Instantiation tests (tests/unit/test_cinst_instance.c): canon lift/lower
;; through a real instance, strings in utf8 and utf16 with realloc and
;; post-return, spilling past 16 parameters, lists, traps while lifting, and
;; the reentrance and may-leave flags.
(component
  (core module $m
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (global $posts (mut i32) (i32.const 0))
    ;; a bump allocator: aligns, copies the old block when growing
    (func (export "realloc") (param $old i32) (param $osz i32) (param $align i32) (param $nsz i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (global.set $bump (i32.add (local.get $p) (local.get $nsz)))
      (if (local.get $old) (then (memory.copy (local.get $p) (local.get $old) (local.get $osz))))
      (local.get $p))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    ;; string -> string through a return area at 16
    (func (export "echo") (param i32 i32) (result i32)
      (i32.store (i32.const 16) (local.get 0))
      (i32.store (i32.const 20) (local.get 1))
      (i32.const 16))
    (func (export "echo-post") (param i32)
      (global.set $posts (i32.add (global.get $posts) (i32.const 1))))
    (func (export "post-count") (result i32) (global.get $posts))
    ;; 17 u32 parameters arrive spilled: one pointer to a tuple
    (func (export "sum17") (param $p i32) (result i32) (local $i i32) (local $s i32)
      (block $done (loop $l
        (br_if $done (i32.eq (local.get $i) (i32.const 17)))
        (local.set $s (i32.add (local.get $s)
          (i32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
      (local.get $s))
    ;; list<point> -> u32: sum of x*y over the records
    (func (export "dot") (param $p i32) (param $n i32) (result i32) (local $s i32)
      (block $done (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.mul (i32.load (local.get $p)) (i32.load offset=4 (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
      (local.get $s))
    ;; a string result pointing outside memory
    (func (export "bad-ptr") (result i32)
      (i32.store (i32.const 16) (i32.const 0x7ffffff0))
      (i32.store (i32.const 20) (i32.const 100))
      (i32.const 16))
    ;; a string result that is not UTF-8
    (func (export "bad-utf8") (result i32)
      (i32.store8 (i32.const 32) (i32.const 0xff))
      (i32.store (i32.const 16) (i32.const 32))
      (i32.store (i32.const 20) (i32.const 1))
      (i32.const 16))
    ;; an option<u32> with a bad discriminant
    (func (export "bad-disc") (result i32)
      (i32.store (i32.const 16) (i32.const 7))
      (i32.const 16))
  )
  (core instance $i (instantiate $m))
  (alias core export $i "mem" (core memory $mem))
  (alias core export $i "realloc" (core func $realloc))
  (alias core export $i "echo-post" (core func $post))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
  (func (export "echo") (param "s" string) (result string)
    (canon lift (core func $i "echo") (memory $mem) (realloc $realloc) (post-return $post)))
  (func (export "echo16") (param "s" string) (result string)
    (canon lift (core func $i "echo") (memory $mem) (realloc $realloc) string-encoding=utf16 (post-return $post)))
  (func (export "post-count") (result u32) (canon lift (core func $i "post-count")))
  (func (export "sum17")
    (param "a" u32) (param "b" u32) (param "c" u32) (param "d" u32) (param "e" u32) (param "f" u32)
    (param "g" u32) (param "h" u32) (param "i" u32) (param "j" u32) (param "k" u32) (param "l" u32)
    (param "m" u32) (param "n" u32) (param "o" u32) (param "p" u32) (param "q" u32) (result u32)
    (canon lift (core func $i "sum17") (memory $mem) (realloc $realloc)))
  (type $point (record (field "x" u32) (field "y" u32)))
  (export $point-e "point" (type $point))
  (func (export "dot") (param "ps" (list $point-e)) (result u32)
    (canon lift (core func $i "dot") (memory $mem) (realloc $realloc)))
  (func (export "bad-ptr") (result string) (canon lift (core func $i "bad-ptr") (memory $mem)))
  (func (export "bad-utf8") (result string) (canon lift (core func $i "bad-utf8") (memory $mem)))
  (func (export "bad-disc") (result (option u32)) (canon lift (core func $i "bad-disc") (memory $mem)))

  ;; Reentrance: "reenter" calls (through a lowered import) a function lifted
  ;; from the same component instance, which traps.
  (func $add (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
  (core func $add-lowered (canon lower (func $add)))
  (core module $caller
    (import "host" "add" (func $add (param i32 i32) (result i32)))
    (memory (export "mem") 1)
    (func (export "reenter") (result i32) (call $add (i32.const 1) (i32.const 2)))
    ;; a realloc that calls out of the instance: may_leave is false then
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (drop (call $add (i32.const 1) (i32.const 2)))
      (i32.const 64))
    (func (export "take") (param i32 i32) (result i32) (local.get 1)))
  (core instance $host (export "add" (func $add-lowered)))
  (core instance $c (instantiate $caller (with "host" (instance $host))))
  (alias core export $c "mem" (core memory $cmem))
  (alias core export $c "realloc" (core func $crealloc))
  (func (export "reenter") (result u32) (canon lift (core func $c "reenter")))
  (func (export "leave-in-realloc") (param "s" string) (result u32)
    (canon lift (core func $c "take") (memory $cmem) (realloc $crealloc)))
)
