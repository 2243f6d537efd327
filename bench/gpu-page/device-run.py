"""GPU check, run on the GPU machine from the repo root (python3 bench/gpu-page/device-run.py), with .gpu/ carried:
  .gpu/chromium.xz   the headless Chromium (headless shell) of the npm package @sparticuz/chromium: bin/chromium.br,
                     brotli-decoded, then xz with the x86 filter (fits the 64 MiB a call may carry; Python's lzma reads it)
  .gpu/libs.tar.xz   that package's ANGLE libraries and Vulkan loader (libEGL.so, libGLESv2.so, libvulkan.so.1, from
                     bin/swiftshader.tar.br) and lib/ from bin/al2023.tar.br (NSS, expat)
  .gpu/site.tar.xz   the page built by `npm run bench:gpu-page` (.gpu/site)
  .gpu/libheadless_icd.so  headless-icd.c, built (x86-64)
  .gl/*.deb          the GL/Vulkan loaders (libglvnd0, libegl1, libgl1, libglx0, libgles2, libopengl0, libvulkan1), which
                     the call unpacks into / first: without libGLdispatch, NVIDIA's Vulkan driver does not load at all
Serves the page with serve.py, opens it in Chromium with each flag set in turn until one reaches the GPU, and writes
every FSBENCH line to $OUT/results.jsonl (and Chromium's log to $OUT/chrome-<name>.log). Environment: CHROME_DIR (an
unpacked Chromium, for a local try), QUERY (the page's query), LIMIT (seconds per flag set)."""
import json
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import time

T0 = time.time()
OUT = os.environ.get('OUT', '/tmp/gpu-out')
os.makedirs(OUT, exist_ok=True)
C = os.environ.get('CHROME_DIR', '/tmp/c')
SITE = '/tmp/site'
if not os.path.exists(os.path.join(C, 'chromium')):
    os.makedirs(C, exist_ok=True)
    with lzma.open('.gpu/chromium.xz') as src, open(os.path.join(C, 'chromium'), 'wb') as dst:
        shutil.copyfileobj(src, dst, 1 << 24)
    os.chmod(os.path.join(C, 'chromium'), 0o755)
    tarfile.open('.gpu/libs.tar.xz').extractall(C)
if os.path.exists('.gpu/site.tar.xz'):
    shutil.rmtree(SITE, ignore_errors=True)
    tarfile.open('.gpu/site.tar.xz').extractall(SITE)
else:
    SITE = '.gpu/site'
print(f'unpacked in {time.time() - T0:.0f} s', flush=True)
subprocess.run('nvidia-smi -L; ls /usr/local/nvidia/share/vulkan/icd.d /usr/local/nvidia/share/glvnd/egl_vendor.d '
               '/etc/vulkan/icd.d 2>&1 | head; ldconfig -p | grep -i -E "vulkan|libEGL|nss3|expat" | head', shell=True)

results = os.path.join(OUT, 'results.jsonl')
server = subprocess.Popen([sys.executable, 'bench/gpu-page/serve.py', SITE, '8765', results])
time.sleep(1)

NV = '/usr/local/nvidia'
env = dict(os.environ)
env['LD_LIBRARY_PATH'] = ':'.join([C, f'{C}/lib', f'{NV}/lib64', f'{NV}/lib', env.get('LD_LIBRARY_PATH', '')])
# ANGLE's Vulkan back end asks for VK_EXT_headless_surface under headless Chromium and NVIDIA's driver lacks it:
# headless-icd.c (built into .gpu/libheadless_icd.so by pack.sh) is an ICD with no devices that lists it.
icds = [f'{NV}/share/vulkan/icd.d/nvidia_icd.json']
if os.path.exists('.gpu/libheadless_icd.so'):
    with open(f'{C}/headless_icd.json', 'w') as f:
        json.dump({'file_format_version': '1.0.0', 'ICD': {'library_path': os.path.abspath('.gpu/libheadless_icd.so'),
                                                           'api_version': '1.0.0'}}, f)
    icds.append(f'{C}/headless_icd.json')
icds += os.environ.get('EXTRA_ICDS', '').split(':')
env['VK_ICD_FILENAMES'] = env['VK_DRIVER_FILES'] = ':'.join(i for i in icds if i and os.path.exists(i))
print('Vulkan drivers:', env['VK_ICD_FILENAMES'], flush=True)
egl = f'{NV}/share/glvnd/egl_vendor.d/10_nvidia.json'
if os.path.exists(egl):
    env['__EGL_VENDOR_LIBRARY_FILENAMES'] = egl

COMMON = ['--no-sandbox', '--disable-dev-shm-usage', '--no-first-run', '--enable-logging=stderr', '--v=0',
          '--ignore-gpu-blocklist', '--enable-unsafe-webgpu']
FLAG_SETS = {
    # The Chrome team's recipe for NVIDIA machines without a display.
    'recipe': ['--headless=new', '--use-angle=vulkan', '--enable-features=Vulkan', '--disable-vulkan-surface'],
    # ANGLE on Vulkan without Chrome's own Vulkan compositing, in the GPU process, no GPU sandbox.
    'angle-only': ['--headless=new', '--use-gl=angle', '--use-angle=vulkan', '--disable-vulkan-surface',
                   '--disable-gpu-sandbox', '--enable-features=VulkanFromANGLE'],
    # ANGLE on the driver's own EGL/OpenGL (NVIDIA's EGL vendor file is set above), no Vulkan at all.
    'angle-egl': ['--headless=new', '--use-gl=angle', '--use-angle=gl-egl', '--disable-gpu-sandbox',
                  '--disable-features=Vulkan'],
}
QUERY = os.environ.get('QUERY', '')
LIMIT = float(os.environ.get('LIMIT', '300'))
BUDGET = float(os.environ.get('BUDGET', '500'))


def lines():
    try:
        with open(results) as f:
            return [json.loads(x) for x in f if x.strip()]
    except (OSError, ValueError):
        return []


def real_gpu(rows):
    return any(r.get('phase') == 'engine' and r.get('backend') in ('webgl', 'webgpu') and r.get('software') is False
               for r in rows)


for name, flags in FLAG_SETS.items():
    if time.time() - T0 > BUDGET - 60:
        print(f'== {name}: skipped, too little time left', flush=True)
        break
    start = len(lines())
    log = open(os.path.join(OUT, f'chrome-{name}.log'), 'wb')
    proc = subprocess.Popen([f'{C}/chromium', *COMMON, *flags, f'--user-data-dir=/tmp/ud-{name}',
                             f'http://127.0.0.1:8765/index.html?{QUERY}'], stdout=log, stderr=subprocess.STDOUT, env=env)
    t = time.time()
    gave_up = None
    while time.time() - t < LIMIT and time.time() - T0 < BUDGET:
        time.sleep(1)
        rows = lines()[start:]
        if any(r.get('done') for r in rows):
            break
        engine_gpu = [r for r in rows if r.get('phase') == 'engine' and r.get('asked') in ('webgl', 'webgpu')
                      and ('backend' in r or 'error' in r)]
        if len(engine_gpu) >= 2 and not real_gpu(rows) and name != list(FLAG_SETS)[-1]:
            gave_up = 'neither WebGL nor WebGPU reached a hardware GPU'
            break
    proc.kill()
    proc.wait()
    log.close()
    size = os.path.getsize(log.name)
    if size > 4 << 20:  # keep the end of a long log: files coming back from the device are limited
        with open(log.name, 'rb') as f:
            f.seek(size - (4 << 20))
            tail = f.read()
        with open(log.name, 'wb') as f:
            f.write(tail)
    rows = lines()[start:]
    print(f'== {name}: {time.time() - t:.0f} s{" (" + gave_up + ")" if gave_up else ""}', flush=True)
    for r in rows:
        print(json.dumps(r)[:400], flush=True)
    if real_gpu(rows):
        break
server.kill()
print(f'total {time.time() - T0:.0f} s')
