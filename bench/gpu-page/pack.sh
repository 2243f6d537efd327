#!/bin/bash
# Packs what the GPU check carries into .gpu/ (see device-run.py): the page (npm run bench:gpu-page), and the headless
# Chromium of the npm package @sparticuz/chromium (version $1, default 147.0.0: the newest that fits 64 MiB with the
# page and this repo) with its libraries. Run from the repo root; xz -9e of the 200 MB binary takes a few minutes.
set -euo pipefail
V=${1:-147.0.0}
npm run -s bench:gpu-page
rm -f .gpu/site/assets/tfjs-backend-wasm-[!st]*.wasm # the non-SIMD build: every GPU machine's Chromium has SIMD
(cd .gpu/site && tar cf - . | xz -9e > ../site.tar.xz)
W=$(mktemp -d)
(cd "$W" && npm pack -s "@sparticuz/chromium@$V" >/dev/null && tar xzf ./*.tgz)
node -e "
const z = require('zlib'), fs = require('fs'), b = '$W/package/bin/';
fs.writeFileSync('$W/chromium', z.brotliDecompressSync(fs.readFileSync(b + 'chromium.br')));
for (const n of ['al2023', 'swiftshader']) fs.writeFileSync('$W/' + n + '.tar', z.brotliDecompressSync(fs.readFileSync(b + n + '.tar.br')));"
mkdir "$W/libs"
tar xf "$W/al2023.tar" -C "$W/libs"
tar xf "$W/swiftshader.tar" -C "$W/libs" libEGL.so libGLESv2.so libvulkan.so.1
(cd "$W/libs" && tar cf - . | xz --x86 --lzma2=preset=9e,dict=64MiB > "$OLDPWD/.gpu/libs.tar.xz")
xz --x86 --lzma2=preset=9e,dict=192MiB,nice=273 -T1 -c "$W/chromium" > .gpu/chromium.xz
rm -rf "$W"
gcc -shared -fPIC -O2 -Wall -o .gpu/libheadless_icd.so bench/gpu-page/headless-icd.c # needs apt libvulkan-dev
ls -l .gpu/*.xz
