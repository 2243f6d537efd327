/**
 * The switches the end-to-end tests and the studio benchmarks give Debian's Chromium.
 *
 * Chromium 156 builds every new window's address-bar popup as a WebUI page in a renderer of its own, even headless:
 * about 2.5 s of a core for each page a test opens (a Chrome trace of one page load: that renderer busy 2.6 s, the
 * studio's own main thread 1.1 s), on a 2-core machine where the studio's worker needs both. Turning those features
 * off took one fresh studio page from 3.25 to 2.30 s until clickable.
 *
 * Chromium keeps only the last `--disable-features` switch, and Playwright passes its own list before the caller's
 * arguments, so ours repeats Playwright's (1.65's `chromiumSwitches.ts`); `harness.spec.ts` reads the browser's
 * command line back and fails if a Playwright upgrade adds a name this list lacks.
 */
/** Debian's Chromium (Playwright cannot download its own browser on these machines), or `CHROMIUM_PATH`. */
export const CHROMIUM_EXECUTABLE = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const PLAYWRIGHT_DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync',
  'DestroyProfileOnBrowserClose',
  'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay',
  'MediaRouter',
  'PaintHolding',
  'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',
  'PreconnectToSearch',
  'msForceBrowserSignIn',
  'msEdgeUpdateLaunchServicesPreferredVersion',
];

/** The address-bar popup's WebUI renderer (above). */
export const OMNIBOX_WEBUI_FEATURES = ['WebUIOmniboxPopup', 'WebUIOmniboxFullPopup', 'WebUIOmniboxAimPopup'];

export const CHROMIUM_ARGS = [
  // No background look-ups to the (unreachable) internet; 127.0.0.1 stays reachable.
  '--disable-quic',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
  `--disable-features=${[...PLAYWRIGHT_DISABLED_FEATURES, ...OMNIBOX_WEBUI_FEATURES].join(',')}`,
];

/**
 * WebGPU for the backend comparison test and `bench:first-render` (SwiftShader's Vulkan adapter on these machines).
 * Dawn zero-fills each shader's workgroup memory with code it adds to the shader, and SwiftShader's compiler spends
 * most of tfjs's pipeline compiles on that code: a clicked α0.25 card's first snapshot on WebGPU took 45.7 s with the
 * fill and 10.4–12.3 s without (`bench:first-render --backends webgpu`, session 18). Without the fill a kernel that
 * read workgroup memory before writing it would read garbage and the comparison with wasm would fail: the switch can
 * make that test stricter, never let a wrong image pass. A person's browser keeps the fill.
 */
export const WEBGPU_TEST_ARGS = ['--enable-unsafe-webgpu', '--enable-dawn-features=disable_workgroup_init'];
