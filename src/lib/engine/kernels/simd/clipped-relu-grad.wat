;; The clipped-ReLU backward on the wasm backend's own heap: out[i] = dy[i] where 0 < x[i] <= cap, else 0.
;; One pass, four lanes at a time; tfjs's ops took five passes (two steps, two subtractions, a product).
;; clippedReluGradRedirect is Lucid's redirected version, per batch item: an item whose ordinary gradient is
;; non-zero somewhere gets it; an item where it is zero everywhere gets dy wherever it pushes x back towards the
;; active range (below 0: only dy > 0; above the cap: only dy < 0). tfjs's ops took about fifteen passes.
;; Pointers are byte offsets into the tfjs wasm module's memory, imported as env.memory. The shared-memory variant
;; (threaded build) is produced from this text by scripts/build-simd-kernels.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "clippedReluGrad")
    (param $x i32) (param $dy i32) (param $out i32) (param $n i32) (param $cap f32)
    (local $i i32) (local $vecEnd i32) (local $end i32) (local $caps v128) (local $xs v128) (local $xv f32)
    (local.set $caps (f32x4.splat (local.get $cap)))
    ;; byte offsets: the vector part covers n rounded down to a multiple of 4
    (local.set $vecEnd (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (local.set $xs (v128.load (i32.add (local.get $x) (local.get $i))))
        (v128.store
          (i32.add (local.get $out) (local.get $i))
          (v128.and
            (v128.load (i32.add (local.get $dy) (local.get $i)))
            (v128.and
              (f32x4.gt (local.get $xs) (v128.const f32x4 0 0 0 0))
              (f32x4.le (local.get $xs) (local.get $caps)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vloop)))
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $xv (f32.load (i32.add (local.get $x) (local.get $i))))
        (f32.store
          (i32.add (local.get $out) (local.get $i))
          (select
            (f32.load (i32.add (local.get $dy) (local.get $i)))
            (f32.const 0)
            (i32.and (f32.gt (local.get $xv) (f32.const 0)) (f32.le (local.get $xv) (local.get $cap)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $sloop))))
  (func (export "clippedReluGradRedirect")
    (param $x i32) (param $dy i32) (param $out i32) (param $items i32) (param $per i32) (param $cap f32)
    (local $item i32) (local $base i32) (local $i i32) (local $vecEnd i32) (local $end i32) (local $alive i32)
    (local $caps v128) (local $xs v128) (local $ds v128) (local $acc v128) (local $xv f32) (local $dv f32)
    (local.set $caps (f32x4.splat (local.get $cap)))
    (local.set $vecEnd (i32.shl (i32.and (local.get $per) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $per) (i32.const 2)))
    (block $itemsDone
      (loop $itemLoop
        (br_if $itemsDone (i32.ge_u (local.get $item) (local.get $items)))
        (local.set $base (i32.mul (local.get $item) (local.get $end)))
        ;; pass 1: is the ordinary gradient non-zero anywhere in this item?
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (block $v1done
          (loop $v1
            (br_if $v1done (i32.ge_u (local.get $i) (local.get $vecEnd)))
            (local.set $xs (v128.load (i32.add (local.get $x) (i32.add (local.get $base) (local.get $i)))))
            (local.set $ds (v128.load (i32.add (local.get $dy) (i32.add (local.get $base) (local.get $i)))))
            (local.set $acc
              (v128.or (local.get $acc)
                (v128.and
                  (f32x4.ne (local.get $ds) (v128.const f32x4 0 0 0 0))
                  (v128.and
                    (f32x4.gt (local.get $xs) (v128.const f32x4 0 0 0 0))
                    (f32x4.le (local.get $xs) (local.get $caps))))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $v1)))
        (local.set $alive (v128.any_true (local.get $acc)))
        (block $s1done
          (loop $s1
            (br_if $s1done (i32.ge_u (local.get $i) (local.get $end)))
            (local.set $xv (f32.load (i32.add (local.get $x) (i32.add (local.get $base) (local.get $i)))))
            (local.set $dv (f32.load (i32.add (local.get $dy) (i32.add (local.get $base) (local.get $i)))))
            (local.set $alive
              (i32.or (local.get $alive)
                (i32.and (f32.ne (local.get $dv) (f32.const 0))
                  (i32.and (f32.gt (local.get $xv) (f32.const 0)) (f32.le (local.get $xv) (local.get $cap))))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $s1)))
        ;; pass 2: the ordinary gradient, or the redirected one
        (local.set $i (i32.const 0))
        (block $v2done
          (loop $v2
            (br_if $v2done (i32.ge_u (local.get $i) (local.get $vecEnd)))
            (local.set $xs (v128.load (i32.add (local.get $x) (i32.add (local.get $base) (local.get $i)))))
            (local.set $ds (v128.load (i32.add (local.get $dy) (i32.add (local.get $base) (local.get $i)))))
            (v128.store
              (i32.add (local.get $out) (i32.add (local.get $base) (local.get $i)))
              (if (result v128) (local.get $alive)
                (then
                  (v128.and (local.get $ds)
                    (v128.and
                      (f32x4.gt (local.get $xs) (v128.const f32x4 0 0 0 0))
                      (f32x4.le (local.get $xs) (local.get $caps)))))
                (else
                  (v128.bitselect
                    (f32x4.min (local.get $ds) (v128.const f32x4 0 0 0 0))
                    (v128.bitselect
                      (f32x4.max (local.get $ds) (v128.const f32x4 0 0 0 0))
                      (local.get $ds)
                      (f32x4.le (local.get $xs) (v128.const f32x4 0 0 0 0)))
                    (f32x4.gt (local.get $xs) (local.get $caps))))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $v2)))
        (block $s2done
          (loop $s2
            (br_if $s2done (i32.ge_u (local.get $i) (local.get $end)))
            (local.set $xv (f32.load (i32.add (local.get $x) (i32.add (local.get $base) (local.get $i)))))
            (local.set $dv (f32.load (i32.add (local.get $dy) (i32.add (local.get $base) (local.get $i)))))
            (f32.store
              (i32.add (local.get $out) (i32.add (local.get $base) (local.get $i)))
              (if (result f32) (local.get $alive)
                (then
                  (select (local.get $dv) (f32.const 0)
                    (i32.and (f32.gt (local.get $xv) (f32.const 0)) (f32.le (local.get $xv) (local.get $cap)))))
                (else
                  (select (f32.min (local.get $dv) (f32.const 0))
                    (select (f32.max (local.get $dv) (f32.const 0)) (local.get $dv)
                      (f32.le (local.get $xv) (f32.const 0)))
                    (f32.gt (local.get $xv) (local.get $cap))))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $s2)))
        (local.set $item (i32.add (local.get $item) (i32.const 1)))
        (br $itemLoop)))))
