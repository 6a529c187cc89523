;; crash.wat — a misbehaving plugin that traps (reads far out of bounds).
(module
  (memory 1)
  (func (export "process") (param i32) (result i32)
    (i32.load (i32.const 0x7ffffff0))))
