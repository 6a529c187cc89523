(module
  (global $g (mut i32) (i32.const 0))
  (func (export "_start") (global.set $g (i32.const 1)))
  (func (export "f") (param f64 i64) (result f64 i64) (local.get 0) (local.get 1)))
