;; spin.wat — a misbehaving plugin that never returns: only fuel (or a
;; deadline) stops it.
(module
  (func (export "process") (param i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 0)))
