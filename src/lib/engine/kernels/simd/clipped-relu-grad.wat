;; The clipped-ReLU backward on the wasm backend's own heap: out[i] = dy[i] where 0 < x[i] <= cap, else 0.
;; One pass, four lanes at a time; tfjs's ops took five passes (two steps, two subtractions, a product).
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
        (br $sloop)))))
