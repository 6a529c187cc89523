;; Nested components, instantiation with arguments, export and outer aliases,
;; component and instance types with declarators, core module types.
(component $outer
  (type $u32-list (list u32))
  (core type $mt (module
    (type $ft (func (param i32) (result i32)))
    (import "env" "f" (func (type $ft)))
    (export "g" (func (type $ft)))))
  (import "m" (core module $imported (type $mt)))
  (type $it (instance
    (type $l (list string))
    (export "names" (type (eq $l)))
    (type $ft (func (result $l)))
    (export "get" (func (type $ft)))))
  (import "wrun:test/names@1.2.3-rc.1+build.5" (instance $names (type $it)))
  (alias export $names "get" (func $get))
  (component $inner
    (type $nums (list u32))
    (import "get" (func $g (result $nums)))
    (component $innermost
      (alias outer $outer $u32-list (type $l))
      (import "h" (func (result $l)))
      (export "h2" (func 0)))
    (instance $x (instantiate $innermost (with "h" (func $g))))
    (alias export $x "h2" (func $h2))
    (export "again" (func $h2)))
  (type $ct (component
    (type $t (list u32))
    (import "get" (func (result $t)))
    (export "again" (func (result $t)))))
  (import "other" (component $other (type $ct)))
  (alias outer $outer $u32-list (type $again-list))
  (core module $impl
    (func (export "f") (param i32) (result i32) local.get 0))
  (core instance $impl-i (instantiate $impl))
  (core instance $ii (instantiate $imported (with "env" (instance $impl-i))))
  (instance $bundle (export "x" (func $get)))
  (export "names" (instance $names))
)
