;; One Adam step for gradient ascent in a single pass over the parameters, on the wasm backend's heap (see
;; ../adam-step.ts): m' = β1·m + (1−β1)·g, v' = β2·v + (1−β2)·g², x' = x + (m' / (√v' + ε))·lr, four lanes at a time
;; ($keep1, $keep2 are 1−β1 and 1−β2 as the caller rounds them, like the scalars tfjs makes).
;; The same float32 operations in the same order as the eleven tfjs element-wise ops it replaces (no fused
;; multiply-add), so the results are the same bits. Pointers are byte offsets into the tfjs wasm module's memory
;; (env.memory); the shared-memory variant is produced by scripts/build-simd-kernels.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "adamStep")
    (param $x i32) (param $g i32) (param $m i32) (param $v i32)
    (param $xOut i32) (param $mOut i32) (param $vOut i32) (param $n i32)
    (param $beta1 f32) (param $keep1 f32) (param $beta2 f32) (param $keep2 f32) (param $eps f32) (param $lr f32)
    (local $i i32) (local $vecEnd i32) (local $end i32)
    (local $b1 v128) (local $c1 v128) (local $b2 v128) (local $c2 v128) (local $ve v128) (local $vl v128)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local $sg f32) (local $sm f32) (local $sv f32)
    (local.set $b1 (f32x4.splat (local.get $beta1)))
    (local.set $c1 (f32x4.splat (local.get $keep1)))
    (local.set $b2 (f32x4.splat (local.get $beta2)))
    (local.set $c2 (f32x4.splat (local.get $keep2)))
    (local.set $ve (f32x4.splat (local.get $eps)))
    (local.set $vl (f32x4.splat (local.get $lr)))
    (local.set $vecEnd (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $i))))
        (local.set $mv
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $i))) (local.get $b1))
            (f32x4.mul (local.get $gv) (local.get $c1))))
        (local.set $vv
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $i))) (local.get $b2))
            (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $c2))))
        (v128.store (i32.add (local.get $mOut) (local.get $i)) (local.get $mv))
        (v128.store (i32.add (local.get $vOut) (local.get $i)) (local.get $vv))
        (v128.store (i32.add (local.get $xOut) (local.get $i))
          (f32x4.add
            (v128.load (i32.add (local.get $x) (local.get $i)))
            (f32x4.mul
              (f32x4.div (local.get $mv) (f32x4.add (f32x4.sqrt (local.get $vv)) (local.get $ve)))
              (local.get $vl))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vloop)))
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $sg (f32.load (i32.add (local.get $g) (local.get $i))))
        (local.set $sm
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $m) (local.get $i))) (local.get $beta1))
            (f32.mul (local.get $sg) (local.get $keep1))))
        (local.set $sv
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $v) (local.get $i))) (local.get $beta2))
            (f32.mul (f32.mul (local.get $sg) (local.get $sg)) (local.get $keep2))))
        (f32.store (i32.add (local.get $mOut) (local.get $i)) (local.get $sm))
        (f32.store (i32.add (local.get $vOut) (local.get $i)) (local.get $sv))
        (f32.store (i32.add (local.get $xOut) (local.get $i))
          (f32.add
            (f32.load (i32.add (local.get $x) (local.get $i)))
            (f32.mul
              (f32.div (local.get $sm) (f32.add (f32.sqrt (local.get $sv)) (local.get $eps)))
              (local.get $lr))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $sloop)))))
