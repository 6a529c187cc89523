(module (import "wasi_snapshot_preview1" "no_such_call" (func (param i32) (result i32))))
