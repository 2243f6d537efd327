/**
 * Where a model's files come from, as ReadFiles: a URL (its query — a token — goes with every request, and no read
 * is longer than the manifest allows), files a person picked or dropped, or the browser's own storage.
 */
import { filesReader, MAX_MODEL_JSON_BYTES, type ReadFile } from '../src/lib/engine/artifacts.ts';
import { TooLargeError } from '../src/lib/engine/errors.ts';
import type { InputMapping, ModelSource } from '../src/lib/protocol.ts';
import type { ModelStore } from './model-store.ts';

/** A ReadFile over HTTP relative to `base`, with errors that say what failed (network, CORS, HTTP status, size). */
export function urlReader(base: URL): ReadFile {
  return async (rel, maxBytes) => {
    const u = new URL(rel, base);
    if (!u.search) u.search = base.search;
    const url = u.href;
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new Error(`${url} could not be fetched (network error or blocked by CORS: ${(e as Error).message})`, { cause: e });
    }
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
    if (maxBytes === undefined) return res.arrayBuffer();
    const declared = Number(res.headers.get('content-length'));
    if (declared > maxBytes) {
      await res.body?.cancel();
      throw new TooLargeError(`${declared} bytes, more than ${maxBytes}`);
    }
    return readBounded(res, maxBytes);
  };
}

/** Reads a response body, giving up as soon as it passes `maxBytes` (a server that sends without end). */
async function readBounded(res: Response, maxBytes: number): Promise<ArrayBuffer> {
  if (!res.body) return res.arrayBuffer();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new TooLargeError(`more than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out.buffer;
}

/**
 * A ReadFile that remembers what it read, so that each file is fetched once: the worker reads a package ahead while
 * the backend starts and then loads it through the same reader, and keeping a model stores the very bytes its load
 * read instead of downloading the package again. A file read whole serves any later limit, checked against it.
 */
export function rememberReads(read: ReadFile): RememberingRead {
  const kept = new Map<string, { maxBytes?: number; bytes: Promise<ArrayBuffer>; whole?: ArrayBuffer }>();
  const within = (b: ArrayBuffer, maxBytes?: number) => {
    if (maxBytes !== undefined && b.byteLength > maxBytes)
      throw new TooLargeError(`${b.byteLength} bytes, more than ${maxBytes}`);
    return b;
  };
  const remembering: ReadFile = async (rel, maxBytes) => {
    const k = kept.get(rel);
    if (k?.whole) return within(k.whole, maxBytes);
    // Still in flight (or failed) under a limit at least as generous as this one: its answer is this one's too.
    if (k && (k.maxBytes === undefined || (maxBytes !== undefined && k.maxBytes >= maxBytes)))
      return within(await k.bytes, maxBytes);
    const entry: { maxBytes?: number; bytes: Promise<ArrayBuffer>; whole?: ArrayBuffer } = {
      maxBytes,
      bytes: read(rel, maxBytes),
    };
    kept.set(rel, entry);
    entry.bytes.then(
      (b) => (entry.whole = b),
      () => undefined,
    );
    return entry.bytes;
  };
  const held = () => [...kept].flatMap(([rel, k]): [string, ArrayBuffer][] => (k.whole ? [[rel, k.whole]] : []));
  return Object.assign(remembering, { held });
}

/**
 * A ReadFile that remembers what it read (rememberReads); `held()` lists the files read whole so far, by path: the
 * files a model was loaded from, handed on to the helper engines (helper-engines.ts), which load the same bytes.
 */
export type RememberingRead = ReadFile & { held(): [string, ArrayBuffer][] };

/** A model URL split into the folder its files are read from (query kept) and the model.json inside it. */
export function splitModelUrl(url: string, page: string): { base: URL; entry: string } {
  const u = new URL(url, page);
  u.hash = '';
  const last = u.pathname.slice(u.pathname.lastIndexOf('/') + 1);
  // ".../model/" or ".../model" without a .json file name: model.json inside that folder.
  const entry = last.endsWith('.json') ? decodeURIComponent(last) : 'model.json';
  const base = new URL(u.href);
  if (last.endsWith('.json')) base.pathname = u.pathname.slice(0, u.pathname.length - last.length);
  else if (!u.pathname.endsWith('/')) base.pathname = u.pathname + '/';
  return { base, entry };
}

/**
 * Which of the chosen files is the model: "model.json" if there is one, else the only JSON with a modelTopology and
 * a weightsManifest (a Teachable Machine export also holds metadata.json).
 */
export async function pickModelJson(files: File[]): Promise<File> {
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  const named = jsons.find((f) => f.name.split('/').pop() === 'model.json');
  if (named) return named;
  const models: File[] = [];
  for (const f of jsons) {
    if (f.size > MAX_MODEL_JSON_BYTES) continue;
    try {
      const j = JSON.parse(await f.text());
      if (j && typeof j === 'object' && j.modelTopology && Array.isArray(j.weightsManifest)) models.push(f);
    } catch {
      /* not JSON: not the model */
    }
  }
  if (models.length === 1) return models[0];
  if (!models.length)
    throw new Error(`no model.json among the chosen files (${jsons.map((f) => f.name).join(', ') || 'no .json file'})`);
  throw new Error(
    `several model files among the chosen files (${models.map((f) => f.name).join(', ')}): choose one model's folder`,
  );
}

export interface Opened {
  read: ReadFile;
  entry: string;
  /** Saved input range, labels and key, for models kept in the browser. */
  stored?: { inputRange?: [number, number]; normalize?: InputMapping['normalize']; labels?: string[]; key?: string };
}

/** Turns a source into a ReadFile plus the model.json entry inside it. */
export async function openSource(source: ModelSource, store: ModelStore, page: string): Promise<Opened> {
  switch (source.kind) {
    case 'url': {
      const { base, entry } = splitModelUrl(source.url, page);
      return { read: urlReader(base), entry };
    }
    case 'files': {
      const json = await pickModelJson(source.files);
      return { read: filesReader(source.files), entry: json.name.split('/').pop()! };
    }
    case 'stored':
      return store.open(source.name);
  }
}

/** Optional labels.json next to the model (a JSON array of class names). */
export async function readLabels(o: Opened): Promise<string[] | undefined> {
  if (o.stored?.labels) return o.stored.labels;
  try {
    const labels = JSON.parse(new TextDecoder().decode(await o.read('labels.json', 16 * 1024 * 1024)));
    return Array.isArray(labels) && labels.every((l) => typeof l === 'string') ? labels : undefined;
  } catch {
    return undefined;
  }
}
