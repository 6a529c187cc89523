;; hog.wat — a misbehaving plugin that asks for 64 MiB of memory: under the
;; host's memory limit memory.grow fails, and process returns its -1.
(module
  (memory 1)
  (func (export "process") (param i32) (result i32)
    (memory.grow (i32.const 1024))))
