;; The two loops of the Fourier parameterization's column FFT (see ../height-fft.ts), over many columns at once: a
;; row of the complex spectrum is `len` contiguous real parts with its imaginary parts a fixed distance further on,
;; and every column goes through the same butterflies, so four columns share one SIMD lane group.
;;  - butterfly: one radix-2 butterfly on two rows a and b with the twiddle w: t = w·b; a ← a + t; b ← a − t.
;;  - caxpy: dst ← c·src (or dst ← dst + c·src with $acc) for a complex constant c, over `outer` blocks of `len`
;;    values each (strides in bytes), which copies between the spectrum's two memory layouts and combines blocks.
;;  - columnIn / columnOut: a strided column (`rows` values, `stride` bytes apart) times a scale into a contiguous line,
;;    and a line back into a column; the width transform (../width-fft.ts) turns its rows into lines with them, four
;;    values to a SIMD vector gathered or scattered lane by lane.
;; Pointers, strides and the real-to-imaginary distances are byte offsets into the tfjs wasm module's memory,
;; imported as env.memory; the shared-memory variant is produced by scripts/build-simd-kernels.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "butterfly")
    (param $a i32) (param $b i32) (param $im i32) (param $len i32) (param $wr f32) (param $wi f32)
    (local $i i32) (local $vecEnd i32) (local $end i32)
    (local $vwr v128) (local $vwi v128) (local $ar v128) (local $ai v128) (local $br v128) (local $bi v128)
    (local $tr v128) (local $ti v128)
    (local $sar f32) (local $sai f32) (local $sbr f32) (local $sbi f32) (local $str f32) (local $sti f32)
    (local.set $vwr (f32x4.splat (local.get $wr)))
    (local.set $vwi (f32x4.splat (local.get $wi)))
    (local.set $vecEnd (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $len) (i32.const 2)))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (local.set $ar (v128.load (i32.add (local.get $a) (local.get $i))))
        (local.set $ai (v128.load (i32.add (i32.add (local.get $a) (local.get $im)) (local.get $i))))
        (local.set $br (v128.load (i32.add (local.get $b) (local.get $i))))
        (local.set $bi (v128.load (i32.add (i32.add (local.get $b) (local.get $im)) (local.get $i))))
        (local.set $tr (f32x4.sub (f32x4.mul (local.get $vwr) (local.get $br)) (f32x4.mul (local.get $vwi) (local.get $bi))))
        (local.set $ti (f32x4.add (f32x4.mul (local.get $vwr) (local.get $bi)) (f32x4.mul (local.get $vwi) (local.get $br))))
        (v128.store (i32.add (local.get $a) (local.get $i)) (f32x4.add (local.get $ar) (local.get $tr)))
        (v128.store (i32.add (i32.add (local.get $a) (local.get $im)) (local.get $i)) (f32x4.add (local.get $ai) (local.get $ti)))
        (v128.store (i32.add (local.get $b) (local.get $i)) (f32x4.sub (local.get $ar) (local.get $tr)))
        (v128.store (i32.add (i32.add (local.get $b) (local.get $im)) (local.get $i)) (f32x4.sub (local.get $ai) (local.get $ti)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vloop)))
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $sar (f32.load (i32.add (local.get $a) (local.get $i))))
        (local.set $sai (f32.load (i32.add (i32.add (local.get $a) (local.get $im)) (local.get $i))))
        (local.set $sbr (f32.load (i32.add (local.get $b) (local.get $i))))
        (local.set $sbi (f32.load (i32.add (i32.add (local.get $b) (local.get $im)) (local.get $i))))
        (local.set $str (f32.sub (f32.mul (local.get $wr) (local.get $sbr)) (f32.mul (local.get $wi) (local.get $sbi))))
        (local.set $sti (f32.add (f32.mul (local.get $wr) (local.get $sbi)) (f32.mul (local.get $wi) (local.get $sbr))))
        (f32.store (i32.add (local.get $a) (local.get $i)) (f32.add (local.get $sar) (local.get $str)))
        (f32.store (i32.add (i32.add (local.get $a) (local.get $im)) (local.get $i)) (f32.add (local.get $sai) (local.get $sti)))
        (f32.store (i32.add (local.get $b) (local.get $i)) (f32.sub (local.get $sar) (local.get $str)))
        (f32.store (i32.add (i32.add (local.get $b) (local.get $im)) (local.get $i)) (f32.sub (local.get $sai) (local.get $sti)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $sloop))))
  (func (export "caxpy")
    (param $src i32) (param $srcIm i32) (param $srcStride i32)
    (param $dst i32) (param $dstIm i32) (param $dstStride i32)
    (param $outer i32) (param $len i32) (param $cr f32) (param $ci f32) (param $acc i32)
    (local $o i32) (local $s i32) (local $d i32) (local $i i32) (local $vecEnd i32) (local $end i32)
    (local $vcr v128) (local $vci v128) (local $xr v128) (local $xi v128) (local $yr v128) (local $yi v128)
    (local $sxr f32) (local $sxi f32) (local $syr f32) (local $syi f32)
    (local.set $vcr (f32x4.splat (local.get $cr)))
    (local.set $vci (f32x4.splat (local.get $ci)))
    (local.set $vecEnd (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $len) (i32.const 2)))
    (block $odone
      (loop $oloop
        (br_if $odone (i32.ge_u (local.get $o) (local.get $outer)))
        (local.set $s (i32.add (local.get $src) (i32.mul (local.get $o) (local.get $srcStride))))
        (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $o) (local.get $dstStride))))
        (local.set $i (i32.const 0))
        (block $vdone
          (loop $vloop
            (br_if $vdone (i32.ge_u (local.get $i) (local.get $vecEnd)))
            (local.set $xr (v128.load (i32.add (local.get $s) (local.get $i))))
            (local.set $xi (v128.load (i32.add (i32.add (local.get $s) (local.get $srcIm)) (local.get $i))))
            (local.set $yr (f32x4.sub (f32x4.mul (local.get $vcr) (local.get $xr)) (f32x4.mul (local.get $vci) (local.get $xi))))
            (local.set $yi (f32x4.add (f32x4.mul (local.get $vcr) (local.get $xi)) (f32x4.mul (local.get $vci) (local.get $xr))))
            (if (local.get $acc)
              (then
                (local.set $yr (f32x4.add (local.get $yr) (v128.load (i32.add (local.get $d) (local.get $i)))))
                (local.set $yi
                  (f32x4.add (local.get $yi) (v128.load (i32.add (i32.add (local.get $d) (local.get $dstIm)) (local.get $i)))))))
            (v128.store (i32.add (local.get $d) (local.get $i)) (local.get $yr))
            (v128.store (i32.add (i32.add (local.get $d) (local.get $dstIm)) (local.get $i)) (local.get $yi))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $vloop)))
        (block $sdone
          (loop $sloop
            (br_if $sdone (i32.ge_u (local.get $i) (local.get $end)))
            (local.set $sxr (f32.load (i32.add (local.get $s) (local.get $i))))
            (local.set $sxi (f32.load (i32.add (i32.add (local.get $s) (local.get $srcIm)) (local.get $i))))
            (local.set $syr (f32.sub (f32.mul (local.get $cr) (local.get $sxr)) (f32.mul (local.get $ci) (local.get $sxi))))
            (local.set $syi (f32.add (f32.mul (local.get $cr) (local.get $sxi)) (f32.mul (local.get $ci) (local.get $sxr))))
            (if (local.get $acc)
              (then
                (local.set $syr (f32.add (local.get $syr) (f32.load (i32.add (local.get $d) (local.get $i)))))
                (local.set $syi
                  (f32.add (local.get $syi) (f32.load (i32.add (i32.add (local.get $d) (local.get $dstIm)) (local.get $i)))))))
            (f32.store (i32.add (local.get $d) (local.get $i)) (local.get $syr))
            (f32.store (i32.add (i32.add (local.get $d) (local.get $dstIm)) (local.get $i)) (local.get $syi))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $sloop)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $oloop))))
  (func (export "columnIn")
    (param $col i32) (param $stride i32) (param $line i32) (param $rows i32) (param $scale f32)
    (local $i i32) (local $vecEnd i32) (local $v v128) (local $vs v128)
    (local.set $vs (f32x4.splat (local.get $scale)))
    (local.set $vecEnd (i32.and (local.get $rows) (i32.const -4)))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (local.set $v (f32x4.splat (f32.load (local.get $col))))
        (local.set $v (f32x4.replace_lane 1 (local.get $v) (f32.load (i32.add (local.get $col) (local.get $stride)))))
        (local.set $v
          (f32x4.replace_lane 2 (local.get $v)
            (f32.load (i32.add (local.get $col) (i32.shl (local.get $stride) (i32.const 1))))))
        (local.set $v
          (f32x4.replace_lane 3 (local.get $v)
            (f32.load (i32.add (local.get $col) (i32.mul (local.get $stride) (i32.const 3))))))
        (v128.store (local.get $line) (f32x4.mul (local.get $v) (local.get $vs)))
        (local.set $col (i32.add (local.get $col) (i32.shl (local.get $stride) (i32.const 2))))
        (local.set $line (i32.add (local.get $line) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vloop)))
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.ge_u (local.get $i) (local.get $rows)))
        (f32.store (local.get $line) (f32.mul (f32.load (local.get $col)) (local.get $scale)))
        (local.set $col (i32.add (local.get $col) (local.get $stride)))
        (local.set $line (i32.add (local.get $line) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sloop))))
  (func (export "columnOut")
    (param $col i32) (param $stride i32) (param $line i32) (param $rows i32) (param $scale f32)
    (local $i i32) (local $vecEnd i32) (local $v v128) (local $vs v128)
    (local.set $vs (f32x4.splat (local.get $scale)))
    (local.set $vecEnd (i32.and (local.get $rows) (i32.const -4)))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (local.set $v (f32x4.mul (v128.load (local.get $line)) (local.get $vs)))
        (f32.store (local.get $col) (f32x4.extract_lane 0 (local.get $v)))
        (f32.store (i32.add (local.get $col) (local.get $stride)) (f32x4.extract_lane 1 (local.get $v)))
        (f32.store (i32.add (local.get $col) (i32.shl (local.get $stride) (i32.const 1))) (f32x4.extract_lane 2 (local.get $v)))
        (f32.store (i32.add (local.get $col) (i32.mul (local.get $stride) (i32.const 3))) (f32x4.extract_lane 3 (local.get $v)))
        (local.set $col (i32.add (local.get $col) (i32.shl (local.get $stride) (i32.const 2))))
        (local.set $line (i32.add (local.get $line) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vloop)))
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.ge_u (local.get $i) (local.get $rows)))
        (f32.store (local.get $col) (f32.mul (f32.load (local.get $line)) (local.get $scale)))
        (local.set $col (i32.add (local.get $col) (local.get $stride)))
        (local.set $line (i32.add (local.get $line) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sloop)))))
