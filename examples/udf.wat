;; udf.wat — a scalar function for examples/udf.c, the shape of a database UDF:
;; score(a, b) = a * 31 + (b xor (b >> 7)).
(module
  (func (export "score") (param $a i64) (param $b i64) (result i64)
    (i64.add (i64.mul (local.get $a) (i64.const 31))
             (i64.xor (local.get $b) (i64.shr_u (local.get $b) (i64.const 7))))))
