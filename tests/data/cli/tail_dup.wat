;; tail_dup.wat — a switch-dispatched byte-code loop whose `br`s the interpreter
;; replaces with copies of their targets (translate.c, duplicate_tails): a trap
;; inside a copy must name the same offsets as the original code (tests/cli/run.sh).
(module
  (memory 1)
  (data (i32.const 0) "\00\01\00\01\02\04")
  (data (i32.const 8) "\03\07\00\00\09\00\03")
  (data (i32.const 65534) "\00\00")
  (func $vm (export "vm") (param $pc i32) (param $div i32) (result i32)
    (local $acc i32) (local $steps i32)
    (block $halt
      (block $default
        (loop $next
          (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
          (block $c4
            (block $c2
              (block $c1
                (block $c0
                  (br_table $c0 $c1 $c2 $halt $c4 $default (i32.load8_u (local.get $pc))))
                ;; case 0
                (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
                (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
                (br $next))
              ;; case 1
              (local.set $acc (i32.shl (local.get $acc) (i32.const 1)))
              (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
              (br $next))
            ;; case 2
            (local.set $acc (i32.sub (local.get $acc) (i32.const 3)))
            (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
            (br $next))
          ;; case 4
          (local.set $acc (i32.add (local.get $acc) (i32.const 10)))
          (br $halt)))
      (return (i32.sub (i32.const 0) (local.get $steps))))
    (i32.div_u (i32.add (i32.mul (local.get $acc) (i32.const 100)) (local.get $steps)) (local.get $div)))
  ;; a caller, so a trap in a copy has a frame below it
  (func (export "run_vm") (param i32 i32) (result i32)
    (i32.add (call $vm (local.get 0) (local.get 1)) (i32.const 0))))

