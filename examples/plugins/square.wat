;; square.wat — another well-behaved plugin: process(x) = x * x.
(module
  (func (export "process") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0))))
