;; nan_case.wat — the shape of NaN nondeterminism run.py must not report
;; (tests/difffuzz/run.sh replays it before fuzzing; docs/testing.md): the
;; bits of f64x2.min's NaN reach an integer. V8 returns the canonical NaN,
;; wrun the operand's (quiet bit set); the spec allows both. "num" is the same
;; instruction without a NaN, whose answer must still agree.
(module
  (func (export "nan") (result i64)
    (i64x2.extract_lane 0
      (f64x2.min (v128.const f64x2 1 2) (v128.const i64x2 0x7ff4000000000000 0))))
  (func (export "num") (result i64)
    (i64x2.extract_lane 0 (f64x2.min (v128.const f64x2 1 2) (v128.const f64x2 3 4)))))
