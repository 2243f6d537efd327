;; The input gradient of a strided depthwise convolution (multiplier 1) on the wasm backend's heap (see
;; ../depthwise-backward.ts): dx[y, x, c] = Σ w[ky, kx, c] · dy[oy, ox, c] over the taps with y + top − ky = oy·s and
;; x + left − kx = ox·s inside dy. Only the taps that exist are visited (a quarter of the 3×3 window at stride 2 on
;; average), where the op formulation inserts zeros between dy's rows and columns and convolves the full window over
;; them. Channels are innermost (NHWC): four channels per SIMD lane group, so C must be a multiple of 4.
;; Pointers are byte offsets into the tfjs wasm module's memory (env.memory); the shared-memory variant is produced by
;; scripts/build-simd-kernels.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "depthwiseBackward")
    (param $dy i32) (param $w i32) (param $dx i32) (param $n i32) (param $h i32) (param $wd i32) (param $c i32)
    (param $oh i32) (param $ow i32) (param $kh i32) (param $kw i32) (param $s i32) (param $top i32) (param $left i32)
    (local $img i32) (local $y i32) (local $x i32) (local $p i32) (local $i i32) (local $cb i32)
    (local $ry i32) (local $oy0 i32) (local $rx i32) (local $ox0 i32)
    (local $ky i32) (local $kx i32) (local $oy i32) (local $ox i32) (local $q i32) (local $wp i32) (local $dyImg i32)
    ;; bytes per pixel
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $p (local.get $dx))
    (block $imgDone
      (loop $imgLoop
        (br_if $imgDone (i32.ge_s (local.get $img) (local.get $n)))
        (local.set $dyImg
          (i32.add (local.get $dy) (i32.mul (i32.mul (i32.mul (local.get $img) (local.get $oh)) (local.get $ow)) (local.get $cb))))
        (local.set $y (i32.const 0))
        (block $yDone
          (loop $yLoop
            (br_if $yDone (i32.ge_s (local.get $y) (local.get $h)))
            ;; taps along y: ky = ry, ry + s, ... with oy = oy0, oy0 − 1, ...
            (local.set $ry (i32.rem_u (i32.add (local.get $y) (local.get $top)) (local.get $s)))
            (local.set $oy0 (i32.div_u (i32.add (local.get $y) (local.get $top)) (local.get $s)))
            (local.set $rx (i32.rem_u (local.get $left) (local.get $s)))
            (local.set $ox0 (i32.div_u (local.get $left) (local.get $s)))
            (local.set $x (i32.const 0))
            (block $xDone
              (loop $xLoop
                (br_if $xDone (i32.ge_s (local.get $x) (local.get $wd)))
                ;; zero this pixel's channels
                (local.set $i (i32.const 0))
                (block $zDone
                  (loop $zLoop
                    (br_if $zDone (i32.ge_u (local.get $i) (local.get $cb)))
                    (v128.store (i32.add (local.get $p) (local.get $i)) (v128.const i32x4 0 0 0 0))
                    (local.set $i (i32.add (local.get $i) (i32.const 16)))
                    (br $zLoop)))
                (local.set $ky (local.get $ry))
                (local.set $oy (local.get $oy0))
                (block $kyDone
                  (loop $kyLoop
                    (br_if $kyDone (i32.ge_s (local.get $ky) (local.get $kh)))
                    (if (i32.lt_u (local.get $oy) (local.get $oh))
                      (then
                        (local.set $kx (local.get $rx))
                        (local.set $ox (local.get $ox0))
                        (block $kxDone
                          (loop $kxLoop
                            (br_if $kxDone (i32.ge_s (local.get $kx) (local.get $kw)))
                            (if (i32.lt_u (local.get $ox) (local.get $ow))
                              (then
                                (local.set $q
                                  (i32.add (local.get $dyImg)
                                    (i32.mul (i32.add (i32.mul (local.get $oy) (local.get $ow)) (local.get $ox)) (local.get $cb))))
                                (local.set $wp
                                  (i32.add (local.get $w)
                                    (i32.mul (i32.add (i32.mul (local.get $ky) (local.get $kw)) (local.get $kx)) (local.get $cb))))
                                (local.set $i (i32.const 0))
                                (block $cDone
                                  (loop $cLoop
                                    (br_if $cDone (i32.ge_u (local.get $i) (local.get $cb)))
                                    (v128.store (i32.add (local.get $p) (local.get $i))
                                      (f32x4.add
                                        (v128.load (i32.add (local.get $p) (local.get $i)))
                                        (f32x4.mul
                                          (v128.load (i32.add (local.get $wp) (local.get $i)))
                                          (v128.load (i32.add (local.get $q) (local.get $i))))))
                                    (local.set $i (i32.add (local.get $i) (i32.const 16)))
                                    (br $cLoop)))))
                            (local.set $kx (i32.add (local.get $kx) (local.get $s)))
                            (local.set $ox (i32.sub (local.get $ox) (i32.const 1)))
                            (br $kxLoop)))))
                    (local.set $ky (i32.add (local.get $ky) (local.get $s)))
                    (local.set $oy (i32.sub (local.get $oy) (i32.const 1)))
                    (br $kyLoop)))
                ;; next pixel: x + left advances by one
                (local.set $rx (i32.add (local.get $rx) (i32.const 1)))
                (if (i32.eq (local.get $rx) (local.get $s))
                  (then
                    (local.set $rx (i32.const 0))
                    (local.set $ox0 (i32.add (local.get $ox0) (i32.const 1)))))
                (local.set $p (i32.add (local.get $p) (local.get $cb)))
                (local.set $x (i32.add (local.get $x) (i32.const 1)))
                (br $xLoop)))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $yLoop)))
        (local.set $img (i32.add (local.get $img) (i32.const 1)))
        (br $imgLoop)))))
