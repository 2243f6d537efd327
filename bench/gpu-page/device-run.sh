#!/bin/bash
# Device check: the engine's step time in headless Chromium on the GPU (WebGL through ANGLE) and on wasm, same page.
# Run on the GPU machine from the repo root, with .gpu/ carried (all of it must fit the 64 MiB a call may carry):
#   .gpu/chromium.xz  the headless Chromium 147 of the npm package @sparticuz/chromium (bin/chromium.br, brotli -d,
#                     then xz -9e: 61.5 MB; the machine has Python's lzma but maybe no brotli)
#   .gpu/libs.tar.xz  that package's ANGLE and SwiftShader libraries (libEGL.so, libGLESv2.so, libvulkan.so.1,
#                     libvk_swiftshader.so, vk_swiftshader_icd.json from bin/swiftshader.tar.br) and lib/ from al2023.tar.br
#   .gpu/site.tar.xz  the page from `npm run bench:gpu-page` (.gpu/site), without the unused plain/threaded wasm files
# Result on an H200 (2026-11-27): ANGLE's Vulkan back end needs VK_EXT_headless_surface, which NVIDIA's driver 580
# does not offer; with SwiftShader's ICD listed as well, ANGLE chose SwiftShader. See BENCHMARKS.md.
set -u
T0=$(date +%s)
mkdir -p /tmp/c /tmp/site
python3 - <<'PY'
import lzma, shutil, tarfile
shutil.copyfileobj(lzma.open('.gpu/chromium.xz'), open('/tmp/c/chromium', 'wb'))
tarfile.open('.gpu/libs.tar.xz').extractall('/tmp/c')
tarfile.open('.gpu/site.tar.xz').extractall('/tmp/site')
PY
chmod +x /tmp/c/chromium
echo "unpacked in $(( $(date +%s) - T0 )) s"
nvidia-smi -L
ls /usr/local/nvidia/share/vulkan/icd.d/ /usr/local/nvidia/share/glvnd/egl_vendor.d/ /etc/vulkan/icd.d 2>&1 | head
(cd /tmp/site && python3 -m http.server 8765 --bind 127.0.0.1 >/tmp/http.log 2>&1 &)
sleep 1
NV=/usr/local/nvidia
export LD_LIBRARY_PATH=/tmp/c:/tmp/c/lib:$NV/lib64:$NV/lib:${LD_LIBRARY_PATH:-}
URL="http://127.0.0.1:8765/index.html?steps=${STEPS:-64}&runs=3"
# NVIDIA's ICD lacks VK_EXT_headless_surface, which ANGLE needs under headless Chromium; with SwiftShader's ICD listed
# too, the loader offers the extension (it implements surfaces itself) and NVIDIA's device can still be chosen.
for ORDER in nv-first sw-first; do
  if [ $ORDER = nv-first ]; then export VK_ICD_FILENAMES=$NV/share/vulkan/icd.d/nvidia_icd.json:/tmp/c/vk_swiftshader_icd.json
  else export VK_ICD_FILENAMES=/tmp/c/vk_swiftshader_icd.json:$NV/share/vulkan/icd.d/nvidia_icd.json; fi
  export VK_DRIVER_FILES=$VK_ICD_FILENAMES
  LOG=$OUT/chrome-$ORDER.log
  /tmp/c/chromium --headless=new --no-sandbox --disable-dev-shm-usage --use-angle=vulkan --enable-features=Vulkan \
    --ignore-gpu-blocklist --enable-gpu --enable-unsafe-swiftshader --gpu-vendor-id=0x10de --enable-logging=stderr --v=0 \
    --no-first-run --user-data-dir=/tmp/ud-$ORDER "$URL" >"$LOG" 2>&1 &
  PID=$!
  for i in $(seq 1 150); do
    sleep 1
    grep -aq '"done":true' "$LOG" && break
  done
  kill $PID 2>/dev/null; sleep 1; pkill -f /tmp/c/chromium
  echo "== $ORDER ($i s)"
  grep -a FSBENCH "$LOG" | sed 's/.*FSBENCH //' | cut -c1-300
  grep -a "ERROR" "$LOG" | grep -v Fontconfig | head -4 | cut -c1-250
  grep -a FSBENCH "$LOG" | grep -q '"renderer".*NVIDIA' && break
done
echo "total $(( $(date +%s) - T0 )) s"
