;; bench/component/calls.wat — a call-heavy component for profiling the
;; Canonical ABI adapters (docs/components.md, "Speed"). `run(n)` makes n
;; component-to-component calls of
;;     summarize: func(items: list<item>) -> summary
;;     item = record { name: string, qty: u32 }, summary = record { total: u32, first: string }
;; with a list of four items: each call lowers a list of records and four
;; strings into the provider (five realloc calls into its core code), runs
;; the provider's loop over the items, lifts the summary (a string through a
;; return area) back into the consumer (one more realloc), and calls the
;; provider's post-return, which frees what the call allocated. The consumer
;; adds up the totals: run(n) = 100 * n (mod 2^32).
;; calls.wasm is `jco parse calls.wat`.
(component
  (component $provider
    (type $item (record (field "name" string) (field "qty" u32)))
    (type $items (list $item))
    (type $summary (record (field "total" u32) (field "first" string)))
    (core module $m
      (memory (export "mem") 1)
      (global $bump (mut i32) (i32.const 1024))
      (func (export "realloc") (param $old i32) (param $osz i32) (param $align i32) (param $nsz i32) (result i32)
        (local $p i32)
        (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                               (i32.sub (i32.const 0) (local.get $align))))
        (global.set $bump (i32.add (local.get $p) (local.get $nsz)))
        (local.get $p))
      ;; post-return: everything the call allocated is dropped at once
      (func (export "free") (param i32) (global.set $bump (i32.const 1024)))
      ;; items: (ptr, len) of 12-byte records {name ptr, name len, qty}
      (func (export "summarize") (param $p i32) (param $n i32) (result i32)
        (local $i i32) (local $total i32)
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $total (i32.add (local.get $total)
              (i32.load offset=8 (i32.add (local.get $p) (i32.mul (local.get $i) (i32.const 12))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (i32.store (i32.const 16) (local.get $total))
        (if (local.get $n)
          (then (i32.store (i32.const 20) (i32.load (local.get $p)))
                (i32.store (i32.const 24) (i32.load offset=4 (local.get $p))))
          (else (i32.store (i32.const 20) (i32.const 0))
                (i32.store (i32.const 24) (i32.const 0))))
        (i32.const 16)))
    (core instance $i (instantiate $m))
    (func (export "summarize") (param "items" $items) (result $summary)
      (canon lift (core func $i "summarize") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))
        (post-return (core func $i "free")))))
  (component $consumer
    (type $item (record (field "name" string) (field "qty" u32)))
    (type $items (list $item))
    (type $summary (record (field "total" u32) (field "first" string)))
    (import "summarize" (func $summarize (param "items" $items) (result $summary)))
    (core module $mem
      (memory (export "mem") 1)
      (global $bump (mut i32) (i32.const 4096))
      (func (export "realloc") (param $old i32) (param $osz i32) (param $align i32) (param $nsz i32) (result i32)
        (local $p i32)
        (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                               (i32.sub (i32.const 0) (local.get $align))))
        (global.set $bump (i32.add (local.get $p) (local.get $nsz)))
        (local.get $p))
      (func (export "reset") (global.set $bump (i32.const 4096))))
    (core instance $mi (instantiate $mem))
    (alias core export $mi "mem" (core memory $cmem))
    (core func $summarize-lowered
      (canon lower (func $summarize) (memory (core memory $mi "mem")) (realloc (core func $mi "realloc"))))
    (core module $user
      (import "env" "mem" (memory 1))
      (import "env" "summarize" (func $summarize (param i32 i32 i32)))
      (import "env" "reset" (func $reset))
      (data (i32.const 256) "applebananacherrydurian")
      ;; four items at 512: {name ptr, len, qty}; qty 10 + 20 + 30 + 40 = 100
      (data (i32.const 512)
        "\00\01\00\00\05\00\00\00\0a\00\00\00"
        "\05\01\00\00\06\00\00\00\14\00\00\00"
        "\0b\01\00\00\06\00\00\00\1e\00\00\00"
        "\11\01\00\00\06\00\00\00\28\00\00\00")
      (func (export "run") (param $n i32) (result i32)
        (local $acc i32)
        (block $done
          (loop $next
            (br_if $done (i32.eqz (local.get $n)))
            (call $reset)
            (call $summarize (i32.const 512) (i32.const 4) (i32.const 64))
            (local.set $acc (i32.add (local.get $acc) (i32.load (i32.const 64))))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $next)))
        (local.get $acc)))
    (core instance $env
      (export "mem" (memory $cmem))
      (export "summarize" (func $summarize-lowered))
      (export "reset" (func $mi "reset")))
    (core instance $u (instantiate $user (with "env" (instance $env))))
    (func (export "run") (param "n" u32) (result u32) (canon lift (core func $u "run"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "summarize" (func $p "summarize"))))
  (export "run" (func $c "run"))
)
