/**
 * The page's address follows what is on screen, so that a reload, a bookmark or a copied address opens the same
 * studio: the settings that differ from the defaults, and — when the address names a model at all — the model shown,
 * if it can be named (a registry id or a model kept in this browser). Without `model=` the page opens the model last
 * used (localStorage), so none is added. Likewise `backend=`: an address that names one follows the header's choice
 * (without it the browser remembers the choice). The gallery's view follows too: `all=1` while it shows every layer.
 * `auto=` stays as it is, and a shared link to an image (`layer=`, `channel=`) is left whole: its settings are the
 * image's.
 */
import { DEFAULT_JOB_SETTINGS, type BackendChoice, type JobSettings } from '../protocol.ts';

export function pageUrl(
  href: string,
  model: string | null,
  s: JobSettings,
  backend: BackendChoice | null = null,
  allLayers = false,
): string {
  const defaults = DEFAULT_JOB_SETTINGS;
  const u = new URL(href);
  const q = u.searchParams;
  if (q.has('layer')) return href;
  const before = q.toString();
  if (backend !== null && q.has('backend') && q.get('backend') !== backend) {
    if (backend === 'auto') q.delete('backend');
    else q.set('backend', backend);
  }
  if (model !== null && q.has('model') && q.get('model') !== model) {
    q.set('model', model);
    // A model opened from a URL came with its input range; a named model has its own.
    for (const k of ['range', 'mean', 'std']) q.delete(k);
  }
  for (const k of Object.keys(defaults) as (keyof JobSettings)[]) {
    const v = s[k];
    if (v === defaults[k]) q.delete(k);
    else q.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  if (allLayers) q.set('all', '1');
  else q.delete('all');
  // Unchanged parameters keep the address as it was written (URLSearchParams would re-encode its commas and slashes).
  return q.toString() === before ? href : u.href;
}

/** Whether the address asks for every layer in the gallery (`all=1`, see pageUrl). */
export function allLayersFromParams(q: URLSearchParams): boolean {
  return q.get('all') === '1';
}
