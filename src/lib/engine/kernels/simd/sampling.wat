;; The transform sampler of ../sampling.ts for one batch item of a 3-channel image, on the wasm backend's heap.
;;  - forward (adjoint = 0): out[pix] = Σ corners w · a[corner] + fill, a = the source image, out = the sample;
;;  - adjoint (adjoint = 1): out[corner] += w · a[pix], a = the sample's gradient, out = the source's gradient.
;; Output pixel (u, v) reads source position y = c0 + c1·v + c2·u, x = c3 + c4·v + c5·u. A pixel whose four corners
;; lie inside takes one SIMD lane group for its three channels (the fourth lane is zero: a store into the next pixel's
;; first channel writes 0 there, which that pixel overwrites or accumulates onto); edge pixels, and pixels that touch
;; the item's last pixel (where a four-lane access would leave the array), take the scalar path with the pad value.
;; Pointers are byte offsets of this item's arrays in the tfjs wasm module's memory (env.memory); `out` starts zeroed.
;; The shared-memory variant is produced by scripts/build-simd-kernels.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; dst[k] += wt · src[k] for the three channels, rounding to float32 after each add (an edge pixel's corner).
  (func $corner (param $dst i32) (param $src i32) (param $wt f64)
    (f32.store (local.get $dst)
      (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $dst)))
        (f64.mul (local.get $wt) (f64.promote_f32 (f32.load (local.get $src)))))))
    (f32.store offset=4 (local.get $dst)
      (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load offset=4 (local.get $dst)))
        (f64.mul (local.get $wt) (f64.promote_f32 (f32.load offset=4 (local.get $src)))))))
    (f32.store offset=8 (local.get $dst)
      (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load offset=8 (local.get $dst)))
        (f64.mul (local.get $wt) (f64.promote_f32 (f32.load offset=8 (local.get $src))))))))
  ;; p[0..5] += (wl · g[0..2], wr · g[0..2]) with g's fourth lane zero; p[6..7] get + 0.
  (func $pair (param $p i32) (param $g v128) (param $wl f64) (param $wr f64)
    (local $l v128) (local $r v128)
    (local.set $l (f32x4.mul (local.get $g) (f32x4.splat (f32.demote_f64 (local.get $wl)))))
    (local.set $r (f32x4.mul (local.get $g) (f32x4.splat (f32.demote_f64 (local.get $wr)))))
    (v128.store (local.get $p)
      (f32x4.add (v128.load (local.get $p))
        (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 16 17 18 19 (local.get $l) (local.get $r))))
    (v128.store offset=16 (local.get $p)
      (f32x4.add (v128.load offset=16 (local.get $p))
        (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 12 13 14 15 (local.get $r) (local.get $r)))))
  (func (export "sampleItem")
    (param $a i32) (param $out i32) (param $h i32) (param $w i32) (param $outH i32) (param $outW i32)
    (param $c0 f64) (param $c1 f64) (param $c2 f64) (param $c3 f64) (param $c4 f64) (param $c5 f64)
    (param $padValue f64) (param $adjoint i32)
    (local $u i32) (local $v i32) (local $y0 i32) (local $x0 i32) (local $c i32) (local $yy i32) (local $xx i32)
    (local $o i32) (local $s00 i32) (local $s10 i32) (local $s i32) (local $row i32)
    (local $py f64) (local $px f64) (local $fy f64) (local $fx f64) (local $fl f64)
    (local $w00 f64) (local $w01 f64) (local $w10 f64) (local $w11 f64) (local $wt f64) (local $inside f64)
    (local $g v128) (local $lanes3 v128) (local $lastOut i32)
    (local.set $lanes3 (v128.const i32x4 -1 -1 -1 0))
    ;; byte offset of the last output pixel
    (local.set $lastOut (i32.mul (i32.sub (i32.mul (local.get $outH) (local.get $outW)) (i32.const 1)) (i32.const 12)))
    ;; bytes per source row (w pixels of 3 floats)
    (local.set $row (i32.mul (local.get $w) (i32.const 12)))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.ge_s (local.get $v) (local.get $outH)))
        (local.set $u (i32.const 0))
        (block $udone
          (loop $uloop
            (br_if $udone (i32.ge_s (local.get $u) (local.get $outW)))
            (local.set $py (f64.add (f64.add (local.get $c0) (f64.mul (local.get $c1) (f64.convert_i32_s (local.get $v))))
              (f64.mul (local.get $c2) (f64.convert_i32_s (local.get $u)))))
            (local.set $px (f64.add (f64.add (local.get $c3) (f64.mul (local.get $c4) (f64.convert_i32_s (local.get $v))))
              (f64.mul (local.get $c5) (f64.convert_i32_s (local.get $u)))))
            (local.set $fl (f64.floor (local.get $py)))
            (local.set $y0 (i32.trunc_sat_f64_s (local.get $fl)))
            (local.set $fy (f64.sub (local.get $py) (local.get $fl)))
            (local.set $fl (f64.floor (local.get $px)))
            (local.set $x0 (i32.trunc_sat_f64_s (local.get $fl)))
            (local.set $fx (f64.sub (local.get $px) (local.get $fl)))
            ;; byte offset of the output pixel
            (local.set $o (i32.mul (i32.add (i32.mul (local.get $v) (local.get $outW)) (local.get $u)) (i32.const 12)))
            (if (i32.and
                  (i32.and
                    (i32.and (i32.ge_s (local.get $y0) (i32.const 0)) (i32.lt_s (i32.add (local.get $y0) (i32.const 1)) (local.get $h)))
                    (i32.and (i32.ge_s (local.get $x0) (i32.const 0)) (i32.lt_s (i32.add (local.get $x0) (i32.const 1)) (local.get $w))))
                  ;; the bottom-right corner is not the item's last source pixel, and this is not its last output pixel
                  (i32.and
                    (i32.or (i32.lt_s (i32.add (local.get $y0) (i32.const 2)) (local.get $h))
                      (i32.lt_s (i32.add (local.get $x0) (i32.const 2)) (local.get $w)))
                    (i32.lt_u (local.get $o) (local.get $lastOut))))
              (then
                ;; all four corners inside (most pixels): three channels in one lane group, the fourth lane zero
                (local.set $w00 (f64.mul (f64.sub (f64.const 1) (local.get $fy)) (f64.sub (f64.const 1) (local.get $fx))))
                (local.set $w01 (f64.mul (f64.sub (f64.const 1) (local.get $fy)) (local.get $fx)))
                (local.set $w10 (f64.mul (local.get $fy) (f64.sub (f64.const 1) (local.get $fx))))
                (local.set $w11 (f64.mul (local.get $fy) (local.get $fx)))
                (local.set $s00 (i32.add (i32.mul (local.get $y0) (local.get $row)) (i32.mul (local.get $x0) (i32.const 12))))
                (local.set $s10 (i32.add (local.get $s00) (local.get $row)))
                (if (local.get $adjoint)
                  (then
                    (local.set $g (v128.and (v128.load (i32.add (local.get $a) (local.get $o))) (local.get $lanes3)))
                    ;; a corner pair (x0, x0 + 1) of one row is six floats: two stores that do not overlap
                    (call $pair (i32.add (local.get $out) (local.get $s00)) (local.get $g) (local.get $w00) (local.get $w01))
                    (call $pair (i32.add (local.get $out) (local.get $s10)) (local.get $g) (local.get $w10) (local.get $w11)))
                  (else
                    (local.set $s00 (i32.add (local.get $a) (local.get $s00)))
                    (local.set $s10 (i32.add (local.get $a) (local.get $s10)))
                    (v128.store (i32.add (local.get $out) (local.get $o))
                      (v128.and
                        (f32x4.add
                          (f32x4.add
                            (f32x4.mul (v128.load (local.get $s00)) (f32x4.splat (f32.demote_f64 (local.get $w00))))
                            (f32x4.mul (v128.load offset=12 (local.get $s00)) (f32x4.splat (f32.demote_f64 (local.get $w01)))))
                          (f32x4.add
                            (f32x4.mul (v128.load (local.get $s10)) (f32x4.splat (f32.demote_f64 (local.get $w10))))
                            (f32x4.mul (v128.load offset=12 (local.get $s10)) (f32x4.splat (f32.demote_f64 (local.get $w11))))))
                        (local.get $lanes3))))))
              (else
                ;; an edge pixel: the corners that fall inside, and the pad value for the weight of the others
                (local.set $inside (f64.const 0))
                (local.set $c (i32.const 0))
                (block $cdone
                  (loop $cloop
                    (br_if $cdone (i32.ge_s (local.get $c) (i32.const 4)))
                    (local.set $yy (i32.add (local.get $y0) (i32.shr_s (local.get $c) (i32.const 1))))
                    (local.set $xx (i32.add (local.get $x0) (i32.and (local.get $c) (i32.const 1))))
                    (if (i32.and
                          (i32.and (i32.ge_s (local.get $yy) (i32.const 0)) (i32.lt_s (local.get $yy) (local.get $h)))
                          (i32.and (i32.ge_s (local.get $xx) (i32.const 0)) (i32.lt_s (local.get $xx) (local.get $w))))
                      (then
                        (local.set $wt
                          (f64.mul
                            (select (local.get $fy) (f64.sub (f64.const 1) (local.get $fy)) (i32.shr_s (local.get $c) (i32.const 1)))
                            (select (local.get $fx) (f64.sub (f64.const 1) (local.get $fx)) (i32.and (local.get $c) (i32.const 1)))))
                        (local.set $s (i32.add (i32.mul (local.get $yy) (local.get $row)) (i32.mul (local.get $xx) (i32.const 12))))
                        (local.set $inside (f64.add (local.get $inside) (local.get $wt)))
                        (if (local.get $adjoint)
                          (then (call $corner (i32.add (local.get $out) (local.get $s)) (i32.add (local.get $a) (local.get $o)) (local.get $wt)))
                          (else (call $corner (i32.add (local.get $out) (local.get $o)) (i32.add (local.get $a) (local.get $s)) (local.get $wt))))))
                    (local.set $c (i32.add (local.get $c) (i32.const 1)))
                    (br $cloop)))
                (if (i32.eqz (local.get $adjoint))
                  (then
                    (local.set $wt (f64.mul (local.get $padValue) (f64.sub (f64.const 1) (local.get $inside))))
                    (local.set $s (i32.add (local.get $out) (local.get $o)))
                    (f32.store (local.get $s) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $s))) (local.get $wt))))
                    (f32.store offset=4 (local.get $s)
                      (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load offset=4 (local.get $s))) (local.get $wt))))
                    (f32.store offset=8 (local.get $s)
                      (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load offset=8 (local.get $s))) (local.get $wt))))))))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $uloop)))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $vloop)))))
