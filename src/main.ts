import { mount } from 'svelte';
import { DEFAULT_MODEL_ID } from './lib/models/registry.ts';
import type { BackendChoice } from './lib/protocol.ts';
import { Studio } from './lib/studio/studio.svelte.ts';
import App from './ui/App.svelte';

// URL parameters pick the start-up model and defaults: ?model=mobilenet_v1_0.25_224&steps=64&size=64&backend=wasm&auto=0
const q = new URLSearchParams(location.search);
const num = (k: string) => (q.has(k) ? Number(q.get(k)) : undefined);
const settings = Object.fromEntries(
  Object.entries({ steps: num('steps'), size: num('size'), seed: num('seed') }).filter(
    ([, v]) => v !== undefined && Number.isFinite(v),
  ),
);
const studio = new Studio({
  modelId: q.get('model') ?? DEFAULT_MODEL_ID,
  settings,
  backend: (q.get('backend') as BackendChoice | null) ?? 'auto',
});

mount(App, { target: document.getElementById('app')!, props: { studio, auto: q.get('auto') !== '0' } });
