import { mount } from 'svelte';
import { DEFAULT_MODEL_ID, registryEntry } from './lib/models/registry.ts';
import { BACKENDS, DEFAULT_JOB_SETTINGS, isBackendChoice } from './lib/protocol.ts';
import { settingsFromParams } from './lib/settings.ts';
import { modelUrlFromParams, targetFromParams } from './lib/studio/share-link.ts';
import { Studio } from './lib/studio/studio.svelte.ts';
import { visitMemory } from './lib/studio/visit-memory.ts';
import App from './ui/App.svelte';

// URL parameters pick the start-up model and defaults: ?model=mobilenet_v1_0.25_224&steps=64&size=64&backend=wasm&auto=0;
// with layer= and channel= (a shared link, share-link.ts) the page renders and opens that image.
const q = new URLSearchParams(location.search);
const { settings, refused } = settingsFromParams(q, DEFAULT_JOB_SETTINGS);
const { target, refused: badTarget } = targetFromParams(q);
const modelUrl = modelUrlFromParams(q);
const backend = q.get('backend');
const named = q.get('model');
const studio = new Studio({
  modelId: named ?? visitMemory.lastModel() ?? DEFAULT_MODEL_ID,
  // A registry model the address names and that fails to load is reported (the person picks another); a model that
  // can never load here — the last one used, a kept model since deleted, an id no registry has — opens the default.
  fallbackModel: named && registryEntry(named) ? undefined : DEFAULT_MODEL_ID,
  // A class (logit) link's objective applies to its own image, not to every band.
  settings: settings.objective === 'logit' ? { ...settings, objective: 'channel' } : settings,
  focus: target ? { ...target, settings } : null,
  modelUrl,
  backend: isBackendChoice(backend) ? backend : (visitMemory.lastBackend() ?? 'auto'),
  // The end-to-end tests (`hooks`) shorten how often a rendering worker is asked whether it still answers, and for how
  // long it may not: ping=<ms>, stuck=<ms>.
  client: q.has('hooks') ? testTimings(q) : {},
});
for (const r of [...refused, ...badTarget]) studio.note('error', r);
if (backend !== null && !isBackendChoice(backend))
  studio.note('error', `link parameter backend=${backend.slice(0, 40)} ignored: use ${BACKENDS.join(', ')}`);

function testTimings(q: URLSearchParams): { pingEveryMs?: number; stuckMs?: number } {
  const ms = (k: string) => (Number(q.get(k)) > 0 ? Number(q.get(k)) : undefined);
  return { pingEveryMs: ms('ping'), stuckMs: ms('stuck') };
}

// The worker starts before the page is built (Studio.start).
void studio.start();
mount(App, { target: document.getElementById('app')!, props: { studio, auto: q.get('auto') !== '0' } });
