;; Element-wise arithmetic over Z_2^64, values as little-endian u64 at byte
;; offsets given by the caller (regions of n words; the output may not overlap
;; an input). wasm's i64 arithmetic wraps mod 2^64 natively: one instruction
;; per operation, where a BigInt loop allocates or boxes per element.
;;
;; Every loop is straight-line per element: no branch depends on a value, so
;; the time depends only on n (a secret can't decide an if). `leader` is the
;; public party index test (1 for party 0, else 0), applied by multiplication.
(module
  (memory (export "memory") 1)

  ;; c = a + b
  (func (export "add") (param $a i32) (param $b i32) (param $c i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $c) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $end)))
        (i64.store (local.get $c) (i64.add (i64.load (local.get $a)) (i64.load (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (local.set $b (i32.add (local.get $b) (i32.const 8)))
        (local.set $c (i32.add (local.get $c) (i32.const 8)))
        (br $next))))

  ;; c = a - b
  (func (export "sub") (param $a i32) (param $b i32) (param $c i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $c) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $end)))
        (i64.store (local.get $c) (i64.sub (i64.load (local.get $a)) (i64.load (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (local.set $b (i32.add (local.get $b) (i32.const 8)))
        (local.set $c (i32.add (local.get $c) (i32.const 8)))
        (br $next))))

  ;; c = a * b
  (func (export "mul") (param $a i32) (param $b i32) (param $c i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $c) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $end)))
        (i64.store (local.get $c) (i64.mul (i64.load (local.get $a)) (i64.load (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (local.set $b (i32.add (local.get $b) (i32.const 8)))
        (local.set $c (i32.add (local.get $c) (i32.const 8)))
        (br $next))))

  ;; Beaver's product for one party: z = c + e*b + a*f + leader*(e*f).
  (func (export "beaver") (param $e i32) (param $f i32) (param $a i32) (param $b i32) (param $c i32) (param $z i32) (param $n i32) (param $leader i64)
    (local $end i32) (local $ev i64) (local $fv i64)
    (local.set $end (i32.add (local.get $z) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $z) (local.get $end)))
        (local.set $ev (i64.load (local.get $e)))
        (local.set $fv (i64.load (local.get $f)))
        (i64.store (local.get $z)
          (i64.add
            (i64.add (i64.load (local.get $c)) (i64.mul (local.get $ev) (i64.load (local.get $b))))
            (i64.add (i64.mul (i64.load (local.get $a)) (local.get $fv))
                     (i64.mul (local.get $leader) (i64.mul (local.get $ev) (local.get $fv))))))
        (local.set $e (i32.add (local.get $e) (i32.const 8)))
        (local.set $f (i32.add (local.get $f) (i32.const 8)))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (local.set $b (i32.add (local.get $b) (i32.const 8)))
        (local.set $c (i32.add (local.get $c) (i32.const 8)))
        (local.set $z (i32.add (local.get $z) (i32.const 8)))
        (br $next))))

  ;; Truncation, step 1: out = x + r + offset (offset 2^62 at the leader, else 0).
  (func (export "truncMask") (param $x i32) (param $r i32) (param $out i32) (param $n i32) (param $offset i64)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (i64.store (local.get $out) (i64.add (i64.add (i64.load (local.get $x)) (i64.load (local.get $r))) (local.get $offset)))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (local.set $r (i32.add (local.get $r) (i32.const 8)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (br $next))))

  ;; Truncation, step 2 (see truncationFinish in ring-ops.ts), c opened (public):
  ;;   out = (k - c_msb*2k)*r_msb - r_div
  ;;       + leader*(floor(c_low / scale) + c_msb*k + minusOffset)
  (func (export "truncFinish") (param $c i32) (param $rd i32) (param $rm i32) (param $out i32) (param $n i32)
        (param $leader i64) (param $scale i64) (param $k i64) (param $minusOffset i64)
    (local $end i32) (local $cv i64) (local $msb i64)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $cv (i64.load (local.get $c)))
        (local.set $msb (i64.shr_u (local.get $cv) (i64.const 63)))
        (i64.store (local.get $out)
          (i64.add
            (i64.sub
              (i64.mul (i64.sub (local.get $k) (i64.mul (local.get $msb) (i64.shl (local.get $k) (i64.const 1)))) (i64.load (local.get $rm)))
              (i64.load (local.get $rd)))
            (i64.mul (local.get $leader)
              (i64.add
                (i64.add
                  (i64.div_u (i64.and (local.get $cv) (i64.const 0x7fffffffffffffff)) (local.get $scale))
                  (i64.mul (local.get $msb) (local.get $k)))
                (local.get $minusOffset)))))
        (local.set $c (i32.add (local.get $c) (i32.const 8)))
        (local.set $rd (i32.add (local.get $rd) (i32.const 8)))
        (local.set $rm (i32.add (local.get $rm) (i32.const 8)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (br $next))))
  ;; The dealer's truncation material from a uniform r: r_div = floor((r mod 2^63) / scale)
  ;; at $out and r_msb = r >> 63 right after it, at $out + 8n.
  (func (export "truncDeal") (param $r i32) (param $out i32) (param $n i32) (param $scale i64)
    (local $end i32) (local $msb i32) (local $rv i64)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))))
    (local.set $msb (local.get $end))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $rv (i64.load (local.get $r)))
        (i64.store (local.get $out) (i64.div_u (i64.and (local.get $rv) (i64.const 0x7fffffffffffffff)) (local.get $scale)))
        (i64.store (local.get $msb) (i64.shr_u (local.get $rv) (i64.const 63)))
        (local.set $r (i32.add (local.get $r) (i32.const 8)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $msb (i32.add (local.get $msb) (i32.const 8)))
        (br $next))))
)
