;; double.wat — a well-behaved plugin: process(x) = 2x + 1.
(module
  (memory (export "memory") 1)
  (func (export "process") (param i32) (result i32)
    (i32.add (i32.mul (local.get 0) (i32.const 2)) (i32.const 1))))
