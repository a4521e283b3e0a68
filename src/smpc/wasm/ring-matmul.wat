;; [m, k] x [k, n] matrix product over Z_2^64: i64 arithmetic wraps mod 2^64
;; by itself, so the ring product is the plain integer product.
;; Loop order i, t, j: the inner loop walks B's row t and C's row i in order.
(module
  (memory (export "memory") 1)
  (func (export "matmul") (param $a i32) (param $b i32) (param $c i32)
                          (param $m i32) (param $k i32) (param $n i32)
    (local $i i32) (local $t i32) (local $j i32)
    (local $aik i64) (local $brow i32) (local $crow i32)
    ;; C = 0
    (memory.fill (local.get $c) (i32.const 0) (i32.shl (i32.mul (local.get $m) (local.get $n)) (i32.const 3)))
    (block $done_i (loop $loop_i
      (br_if $done_i (i32.ge_u (local.get $i) (local.get $m)))
      (local.set $crow (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 3))))
      (local.set $t (i32.const 0))
      (block $done_t (loop $loop_t
        (br_if $done_t (i32.ge_u (local.get $t) (local.get $k)))
        (local.set $aik (i64.load (i32.add (local.get $a)
          (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $t)) (i32.const 3)))))
        (local.set $brow (i32.add (local.get $b) (i32.shl (i32.mul (local.get $t) (local.get $n)) (i32.const 3))))
        (local.set $j (i32.const 0))
        (block $done_j (loop $loop_j
          (br_if $done_j (i32.ge_u (local.get $j) (local.get $n)))
          (i64.store (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 3)))
            (i64.add
              (i64.load (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 3))))
              (i64.mul (local.get $aik)
                (i64.load (i32.add (local.get $brow) (i32.shl (local.get $j) (i32.const 3)))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $loop_j)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $loop_t)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $loop_i)))))
