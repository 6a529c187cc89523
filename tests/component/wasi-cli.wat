;; A WASI 0.2 command written by hand against wasi:cli, wasi:io, wasi:clocks
;; and wasi:random (tests/cli/component_wasi.sh). Its first argument picks
;; what `run` does (only its first letter counts):
;;   hello       write "hello\n" with get-stdout + blocking-write-and-flush
;;   echo        copy stdin to stdout with blocking-read until stream-error.closed
;;   args        print every argument, one a line
;;   vars        print every NAME=VALUE of get-environment, one a line
;;   xit         print "before\n", then exit(err): status 1, nothing after it
;;   k N         exit-with-code(N)
;;   sleep N     block on monotonic-clock subscribe-duration(N seconds), print "slept\n"
;;   poll N      the same through poll([pollable]) (prints "polled\n")
;;   random N    write N bytes of get-random-bytes
;;   closed      write "hello\n": return ok if that gave stream-error.closed, err otherwise
;;   transfer    copy stdin to stdout with blocking-splice until closed
;;   n N         blocking-skip N bytes of stdin, then transfer the rest
;;   zeroes N    blocking-write-zeroes-and-flush N
;;   write       check-write (err if it grants < 6), write "hello\n", blocking-flush
;;   input       subscribe to stdin, block on the pollable, then one non-blocking
;;               read; print what it gave (err if nothing)
;;   y           print "tty\n" if get-terminal-stdout gives some terminal-output,
;;               "notty\n" if none (the handle is dropped)
;;   unreachable trap
;;   loop        spin forever (for --fuel and --timeout)
;;   fail        return err (anything else does too)
;; Versions differ on purpose (0.2.0, 0.2.3, 0.2.9): the host serves every 0.2.N.
(component
  (import "wasi:io/error@0.2.0" (instance $err (export "error" (type (sub resource)))))
  (alias export $err "error" (type $error))
  (import "wasi:io/poll@0.2.3" (instance $poll
    (export "pollable" (type $p (sub resource)))
    (type $b (borrow $p))
    (export "[method]pollable.block" (func (param "self" $b)))
    (type $bl (list $b))
    (type $ul (list u32))
    (export "poll" (func (param "in" $bl) (result $ul)))))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (alias outer 1 $error (type $e0))
    (export "error" (type $e (eq $e0)))
    (export "input-stream" (type $in (sub resource)))
    (export "output-stream" (type $out (sub resource)))
    (type $own-e (own $e))
    (type $se0 (variant (case "last-operation-failed" $own-e) (case "closed")))
    (export "stream-error" (type $se (eq $se0)))
    (type $bin (borrow $in))
    (type $bytes (list u8))
    (type $rr (result $bytes (error $se)))
    (export "[method]input-stream.blocking-read" (func (param "self" $bin) (param "len" u64) (result $rr)))
    (type $bout (borrow $out))
    (type $wr (result (error $se)))
    (export "[method]output-stream.blocking-write-and-flush" (func (param "self" $bout) (param "contents" $bytes) (result $wr)))
    (type $nr (result u64 (error $se)))
    (export "[method]input-stream.read" (func (param "self" $bin) (param "len" u64) (result $rr)))
    (alias outer 1 $pollable (type $p0))
    (export "pollable" (type $p (eq $p0)))
    (type $own-p (own $p))
    (export "[method]input-stream.subscribe" (func (param "self" $bin) (result $own-p)))
    (export "[method]input-stream.blocking-skip" (func (param "self" $bin) (param "len" u64) (result $nr)))
    (export "[method]output-stream.blocking-splice" (func (param "self" $bout) (param "src" $bin) (param "len" u64) (result $nr)))
    (export "[method]output-stream.blocking-write-zeroes-and-flush" (func (param "self" $bout) (param "len" u64) (result $wr)))
    (export "[method]output-stream.check-write" (func (param "self" $bout) (result $nr)))
    (export "[method]output-stream.write" (func (param "self" $bout) (param "contents" $bytes) (result $wr)))
    (export "[method]output-stream.blocking-flush" (func (param "self" $bout) (result $wr)))))
  (alias export $streams "input-stream" (type $input-stream))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:cli/stdin@0.2.9" (instance $stdin
    (alias outer 1 $input-stream (type $s0))
    (export "input-stream" (type $s (eq $s0)))
    (type $o (own $s))
    (export "get-stdin" (func (result $o)))))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout
    (alias outer 1 $output-stream (type $s0))
    (export "output-stream" (type $s (eq $s0)))
    (type $o (own $s))
    (export "get-stdout" (func (result $o)))))
  (import "wasi:cli/terminal-output@0.2.0" (instance $tout (export "terminal-output" (type (sub resource)))))
  (alias export $tout "terminal-output" (type $terminal-output))
  (import "wasi:cli/terminal-stdout@0.2.0" (instance $tstdout
    (alias outer 1 $terminal-output (type $t0))
    (export "terminal-output" (type $t (eq $t0)))
    (type $o (own $t))
    (type $opt (option $o))
    (export "get-terminal-stdout" (func (result $opt)))))
  (import "wasi:cli/environment@0.2.0" (instance $environment
    (type $sl (list string))
    (export "get-arguments" (func (result $sl)))
    (type $kv (tuple string string))
    (type $kvl (list $kv))
    (export "get-environment" (func (result $kvl)))))
  (import "wasi:cli/exit@0.2.0" (instance $exit
    (type $r (result))
    (export "exit" (func (param "status" $r)))
    (export "exit-with-code" (func (param "status-code" u8)))))
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
    (alias outer 1 $pollable (type $p0))
    (export "pollable" (type $p (eq $p0)))
    (type $o (own $p))
    (export "subscribe-duration" (func (param "when" u64) (result $o)))))
  (import "wasi:random/random@0.2.0" (instance $random
    (type $bytes (list u8))
    (export "get-random-bytes" (func (param "len" u64) (result $bytes)))))

  ;; memory and a bump allocator, instantiated first so that lowerings can use them
  (core module $libc
    (memory (export "mem") 2)
    (global $top (mut i32) (i32.const 4096))
    (func (export "realloc") (param $old i32) (param $oldsize i32) (param $align i32) (param $size i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $top) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (global.set $top (i32.add (local.get $p) (local.get $size)))
      (if (i32.gt_u (global.get $top) (i32.mul (memory.size) (i32.const 65536)))
        (then (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (global.get $top)
                      (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1))) (i32.const -1))
                (then unreachable))))
      (local.get $p)))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "mem" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))

  (core func $get-args (canon lower (func $environment "get-arguments") (memory $mem) (realloc $realloc)))
  (core func $get-env (canon lower (func $environment "get-environment") (memory $mem) (realloc $realloc)))
  (core func $get-stdin (canon lower (func $stdin "get-stdin")))
  (core func $get-stdout (canon lower (func $stdout "get-stdout")))
  (core func $read (canon lower (func $streams "[method]input-stream.blocking-read") (memory $mem) (realloc $realloc)))
  (core func $write (canon lower (func $streams "[method]output-stream.blocking-write-and-flush") (memory $mem)))
  (core func $skip (canon lower (func $streams "[method]input-stream.blocking-skip") (memory $mem)))
  (core func $splice (canon lower (func $streams "[method]output-stream.blocking-splice") (memory $mem)))
  (core func $zeroes (canon lower (func $streams "[method]output-stream.blocking-write-zeroes-and-flush") (memory $mem)))
  (core func $check-write (canon lower (func $streams "[method]output-stream.check-write") (memory $mem)))
  (core func $nb-write (canon lower (func $streams "[method]output-stream.write") (memory $mem)))
  (core func $flush (canon lower (func $streams "[method]output-stream.blocking-flush") (memory $mem)))
  (core func $nb-read (canon lower (func $streams "[method]input-stream.read") (memory $mem) (realloc $realloc)))
  (core func $in-sub (canon lower (func $streams "[method]input-stream.subscribe")))
  (core func $get-tty (canon lower (func $tstdout "get-terminal-stdout") (memory $mem)))
  (core func $drop-tty (canon resource.drop $terminal-output))
  (core func $exit (canon lower (func $exit "exit")))
  (core func $exit-code (canon lower (func $exit "exit-with-code")))
  (core func $sub-dur (canon lower (func $clock "subscribe-duration")))
  (core func $block (canon lower (func $poll "[method]pollable.block")))
  (core func $poll (canon lower (func $poll "poll") (memory $mem) (realloc $realloc)))
  (core func $random (canon lower (func $random "get-random-bytes") (memory $mem) (realloc $realloc)))
  (core func $drop-pollable (canon resource.drop $pollable))

  (core module $main
    (import "libc" "mem" (memory 1))
    (import "wasi" "get-args" (func $get-args (param i32)))
    (import "wasi" "get-env" (func $get-env (param i32)))
    (import "wasi" "get-stdin" (func $get-stdin (result i32)))
    (import "wasi" "get-stdout" (func $get-stdout (result i32)))
    (import "wasi" "read" (func $read (param i32 i64 i32)))
    (import "wasi" "write" (func $write (param i32 i32 i32 i32)))
    (import "wasi" "skip" (func $skip (param i32 i64 i32)))
    (import "wasi" "splice" (func $splice (param i32 i32 i64 i32)))
    (import "wasi" "zeroes" (func $zeroes (param i32 i64 i32)))
    (import "wasi" "check-write" (func $check-write (param i32 i32)))
    (import "wasi" "nb-write" (func $nb-write (param i32 i32 i32 i32)))
    (import "wasi" "flush" (func $flush (param i32 i32)))
    (import "wasi" "nb-read" (func $nb-read (param i32 i64 i32)))
    (import "wasi" "in-sub" (func $in-sub (param i32) (result i32)))
    (import "wasi" "get-tty" (func $get-tty (param i32)))
    (import "wasi" "drop-tty" (func $drop-tty (param i32)))
    (import "wasi" "exit" (func $exit (param i32)))
    (import "wasi" "exit-code" (func $exit-code (param i32)))
    (import "wasi" "sub-dur" (func $sub-dur (param i64) (result i32)))
    (import "wasi" "block" (func $block (param i32)))
    (import "wasi" "poll" (func $poll (param i32 i32 i32)))
    (import "wasi" "random" (func $random (param i64 i32)))
    (import "wasi" "drop-pollable" (func $drop-pollable (param i32)))
    ;; 16..: a return area; 64..: constant strings
    (data (i32.const 64) "hello\n")
    (data (i32.const 72) "before\n")
    (data (i32.const 80) "after\n")
    (data (i32.const 88) "slept\n")
    (data (i32.const 96) "polled\n")
    (data (i32.const 104) "=")
    (data (i32.const 105) "\n")
    (data (i32.const 108) "notty\n")
    (global $out (mut i32) (i32.const 0))
    ;; write: 0 ok, 1 last-operation-failed, 2 closed
    (func $put (param $p i32) (param $n i32) (result i32)
      (call $write (global.get $out) (local.get $p) (local.get $n) (i32.const 16))
      (if (result i32) (i32.eqz (i32.load8_u (i32.const 16)))
        (then (i32.const 0))
        (else (i32.add (i32.const 1) (i32.load8_u (i32.const 20))))))
    (func $puts (param $p i32) (param $n i32) (drop (call $put (local.get $p) (local.get $n))))
    ;; the decimal number in string (p, n)
    (func $num (param $p i32) (param $n i32) (result i64) (local $v i64)
      (block $done (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $v (i64.add (i64.mul (local.get $v) (i64.const 10))
                               (i64.extend_i32_u (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
      (local.get $v))
    (func (export "run") (result i32)
      (local $args i32) (local $argc i32) (local $cmd i32) (local $i i32) (local $e i32) (local $p i32)
      (local $n2 i64)
      (global.set $out (call $get-stdout))
      (call $get-args (i32.const 32))
      (local.set $args (i32.load (i32.const 32)))
      (local.set $argc (i32.load (i32.const 36)))
      (if (i32.lt_u (local.get $argc) (i32.const 2)) (then (return (i32.const 1))))
      ;; first byte of argv[1]
      (local.set $cmd (i32.load8_u (i32.load (i32.add (local.get $args) (i32.const 8)))))
      (if (i32.ge_u (local.get $argc) (i32.const 3))
        (then (local.set $n2 (call $num (i32.load (i32.add (local.get $args) (i32.const 16)))
                                        (i32.load (i32.add (local.get $args) (i32.const 20)))))))
      (if (i32.eq (local.get $cmd) (i32.const 104)) ;; h
        (then (return (i32.ne (call $put (i32.const 64) (i32.const 6)) (i32.const 0)))))
      (if (i32.eq (local.get $cmd) (i32.const 99)) ;; c
        (then (return (i32.ne (call $put (i32.const 64) (i32.const 6)) (i32.const 2)))))
      (if (i32.eq (local.get $cmd) (i32.const 101)) ;; e
        (then
          (local.set $i (call $get-stdin))
          (loop $more
            (call $read (local.get $i) (i64.const 4096) (i32.const 16))
            (if (i32.eqz (i32.load8_u (i32.const 16)))
              (then
                (drop (call $put (i32.load (i32.const 20)) (i32.load (i32.const 24))))
                (br $more))))
          ;; the error: ok if closed (end of input)
          (return (i32.ne (i32.load8_u (i32.const 20)) (i32.const 1)))))
      (if (i32.eq (local.get $cmd) (i32.const 97)) ;; a
        (then
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $argc)))
            (local.set $p (i32.add (local.get $args) (i32.shl (local.get $i) (i32.const 3))))
            (call $puts (i32.load (local.get $p)) (i32.load offset=4 (local.get $p)))
            (call $puts (i32.const 105) (i32.const 1))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
          (return (i32.const 0))))
      (if (i32.eq (local.get $cmd) (i32.const 118)) ;; v
        (then
          (call $get-env (i32.const 40))
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 44))))
            (local.set $p (i32.add (i32.load (i32.const 40)) (i32.shl (local.get $i) (i32.const 4))))
            (call $puts (i32.load (local.get $p)) (i32.load offset=4 (local.get $p)))
            (call $puts (i32.const 104) (i32.const 1))
            (call $puts (i32.load offset=8 (local.get $p)) (i32.load offset=12 (local.get $p)))
            (call $puts (i32.const 105) (i32.const 1))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
          (return (i32.const 0))))
      (if (i32.eq (local.get $cmd) (i32.const 120)) ;; x
        (then
          (call $puts (i32.const 72) (i32.const 7))
          (call $exit (i32.const 1))
          (call $puts (i32.const 80) (i32.const 6))
          (return (i32.const 0))))
      (if (i32.eq (local.get $cmd) (i32.const 107)) ;; k: code N
        (then (call $exit-code (i32.wrap_i64 (local.get $n2))) (return (i32.const 0))))
      (if (i32.eq (local.get $cmd) (i32.const 115)) ;; s
        (then
          (local.set $p (call $sub-dur (i64.mul (local.get $n2) (i64.const 1000000000))))
          (call $block (local.get $p))
          (call $drop-pollable (local.get $p))
          (return (i32.ne (call $put (i32.const 88) (i32.const 6)) (i32.const 0)))))
      (if (i32.eq (local.get $cmd) (i32.const 112)) ;; p
        (then
          (local.set $p (call $sub-dur (i64.mul (local.get $n2) (i64.const 1000000000))))
          (i32.store (i32.const 48) (local.get $p))
          (call $poll (i32.const 48) (i32.const 1) (i32.const 16))
          ;; expect [0]
          (if (i32.ne (i32.load (i32.const 20)) (i32.const 1)) (then (return (i32.const 1))))
          (if (i32.ne (i32.load (i32.load (i32.const 16))) (i32.const 0)) (then (return (i32.const 1))))
          (call $drop-pollable (local.get $p))
          (return (i32.ne (call $put (i32.const 96) (i32.const 7)) (i32.const 0)))))
      (if (i32.eq (local.get $cmd) (i32.const 114)) ;; r
        (then
          (call $random (local.get $n2) (i32.const 40))
          (return (i32.ne (call $put (i32.load (i32.const 40)) (i32.load (i32.const 44))) (i32.const 0)))))
      (if (i32.eq (local.get $cmd) (i32.const 105)) ;; i
        (then
          (local.set $i (call $get-stdin))
          (local.set $p (call $in-sub (local.get $i)))
          (call $block (local.get $p))
          (call $drop-pollable (local.get $p))
          (call $nb-read (local.get $i) (i64.const 4096) (i32.const 16))
          (if (i32.load8_u (i32.const 16)) (then (return (i32.const 1))))
          (if (i32.eqz (i32.load (i32.const 24))) (then (return (i32.const 1))))
          (return (call $put (i32.load (i32.const 20)) (i32.load (i32.const 24))))))
      (if (i32.eq (local.get $cmd) (i32.const 121)) ;; y
        (then
          (call $get-tty (i32.const 16))
          (if (i32.eqz (i32.load8_u (i32.const 16)))
            (then (return (call $put (i32.const 108) (i32.const 6)))))
          (call $drop-tty (i32.load (i32.const 20)))
          (return (call $put (i32.const 110) (i32.const 4)))))
      (if (i32.eq (local.get $cmd) (i32.const 117)) (then unreachable)) ;; u
      (if (i32.eq (local.get $cmd) (i32.const 108)) (then (loop $spin (br $spin)))) ;; l
      (if (i32.eq (local.get $cmd) (i32.const 110)) ;; n: skip, then transfer
        (then
          (local.set $i (call $get-stdin))
          (call $skip (local.get $i) (local.get $n2) (i32.const 16))
          (if (i32.load8_u (i32.const 16)) (then (return (i32.const 1))))
          (local.set $cmd (i32.const 116))))
      (if (i32.eq (local.get $cmd) (i32.const 116)) ;; t: transfer with blocking-splice
        (then
          (local.set $i (call $get-stdin))
          (loop $more
            ;; result<u64, stream-error>: disc at 16, u64 or the error's case at 24
            (call $splice (global.get $out) (local.get $i) (i64.const 100000) (i32.const 16))
            (br_if $more (i32.eqz (i32.load8_u (i32.const 16)))))
          (return (i32.ne (i32.load8_u (i32.const 24)) (i32.const 1)))))
      (if (i32.eq (local.get $cmd) (i32.const 122)) ;; z
        (then
          (call $zeroes (global.get $out) (local.get $n2) (i32.const 16))
          (return (i32.load8_u (i32.const 16)))))
      (if (i32.eq (local.get $cmd) (i32.const 119)) ;; w
        (then
          (call $check-write (global.get $out) (i32.const 16))
          (if (i32.load8_u (i32.const 16)) (then (return (i32.const 1))))
          (if (i64.lt_u (i64.load (i32.const 24)) (i64.const 6)) (then (return (i32.const 1))))
          (call $nb-write (global.get $out) (i32.const 64) (i32.const 6) (i32.const 16))
          (if (i32.load8_u (i32.const 16)) (then (return (i32.const 1))))
          (call $flush (global.get $out) (i32.const 16))
          (return (i32.load8_u (i32.const 16)))))
      (i32.const 1))
  )
  (core instance $wasi
    (export "get-args" (func $get-args)) (export "get-env" (func $get-env))
    (export "get-stdin" (func $get-stdin)) (export "get-stdout" (func $get-stdout))
    (export "read" (func $read)) (export "write" (func $write))
    (export "skip" (func $skip)) (export "splice" (func $splice)) (export "zeroes" (func $zeroes))
    (export "check-write" (func $check-write)) (export "nb-write" (func $nb-write)) (export "flush" (func $flush))
    (export "nb-read" (func $nb-read)) (export "in-sub" (func $in-sub))
    (export "get-tty" (func $get-tty)) (export "drop-tty" (func $drop-tty))
    (export "exit" (func $exit)) (export "exit-code" (func $exit-code))
    (export "sub-dur" (func $sub-dur)) (export "block" (func $block)) (export "poll" (func $poll))
    (export "random" (func $random)) (export "drop-pollable" (func $drop-pollable)))
  (core instance $main (instantiate $main (with "libc" (instance $libc)) (with "wasi" (instance $wasi))))
  (func $run (result (result)) (canon lift (core func $main "run")))
  (instance $run-instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run-instance))
)
