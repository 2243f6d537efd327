/**
 * The photo set in the worker: photos added in batches (decoded, hashed, thumbnailed and kept in IndexedDB; a file
 * that is not an image is named and skipped), summarized for the loaded model one forward pass per batch
 * (ExampleIndex), one photo explained, and channels' dataset examples answered from the summary. Adding and
 * summarizing stop after the current batch on a cancel or a model change.
 */
import { classify, classScoreLayer } from '../src/lib/engine/adversarial.ts';
import { explainLayers } from '../src/lib/engine/dataset-examples.ts';
import { ExampleIndex, indexPhotos, type PhotoSource } from '../src/lib/engine/example-index.ts';
import type { FeatureModel } from '../src/lib/engine/model.ts';
import type { ChannelExamples, FromWorker, PhotoProgress, ToWorker } from '../src/lib/protocol.ts';
import { squareView } from './photo-view.ts';
import { photoId, PhotoStore, type PhotoRecord } from '../src/lib/store/photo-store.ts';

const SAMPLES = ['cat', 'airplane', 'portrait'];
const ADD_BATCH = 8;
const INDEX_BATCH = 8;
const THUMB = 160;

type Post = (m: FromWorker, transfer?: Transferable[]) => void;
type Loaded = { model: FeatureModel; key: string } | null;

/** The network's view of a stored photo (squareView), and the photo's own size. */
async function viewOf(blob: Blob, height: number, width: number) {
  const full = await createImageBitmap(blob);
  try {
    return { view: await squareView(full, height, width), width: full.width, height: full.height };
  } finally {
    full.close();
  }
}

/** A photo decoded, hashed and thumbnailed; a file the browser cannot decode is refused with its name. */
async function recordOf(file: Blob, name: string): Promise<PhotoRecord> {
  const bytes = await file.arrayBuffer();
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(`not an image the browser can decode (${file.type || 'unknown type'}, ${file.size} bytes)`);
  }
  try {
    const k = Math.min(1, THUMB / Math.max(bitmap.width, bitmap.height));
    const canvas = new OffscreenCanvas(Math.max(1, Math.round(bitmap.width * k)), Math.max(1, Math.round(bitmap.height * k)));
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const thumb = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.85 });
    const blob = file.type ? file : new Blob([bytes], { type: 'application/octet-stream' });
    return { id: await photoId(bytes), name, blob, thumb, width: bitmap.width, height: bitmap.height, addedAt: Date.now() };
  } finally {
    bitmap.close();
  }
}

export class PhotoSet {
  private store: Promise<PhotoStore> | null = null;
  private index: { key: string; index: ExampleIndex } | null = null;
  /** Set by a cancel (both) or a model change (the summary): the running work stops after its batch. */
  private stopAdding = false;
  private stopIndexing = false;
  private stopReason = '';

  constructor(
    private readonly post: Post,
    private readonly loaded: () => Loaded,
  ) {}

  private db(): Promise<PhotoStore> {
    this.store ??= PhotoStore.open();
    return this.store;
  }

  /** Stops the running summary (a model change) or all running work (a cancel) after its current batch. */
  interrupt(what: 'indexing' | 'all'): void {
    this.stopIndexing = true;
    this.stopReason = what === 'all' ? 'cancelled' : 'the model changed';
    if (what === 'all') this.stopAdding = true;
  }

  private progress(p: PhotoProgress) {
    this.post({ type: 'photos-progress', progress: p });
  }

  /** Sends the list; the first time ever, the sample photos are put in. */
  async list(): Promise<void> {
    const db = await this.db();
    if (!(await db.seeded())) {
      for (const name of SAMPLES) {
        const res = await fetch(`/samples/${name}.jpg`);
        if (res.ok) await db.put(await recordOf(await res.blob(), `${name}.jpg`));
      }
      await db.markSeeded();
    }
    const photos = await db.list();
    this.index?.index.keepOnly(photos.map((p) => p.id));
    this.post({ type: 'photos', photos });
  }

  async add(files: File[]): Promise<void> {
    this.stopAdding = false;
    const db = await this.db();
    const p: PhotoProgress = {
      work: 'adding',
      done: 0,
      total: files.length,
      skipped: [],
      added: 0,
      duplicates: 0,
      finished: false,
      stopped: false,
    };
    this.progress(p);
    for (let i = 0; i < files.length; i += ADD_BATCH) {
      if (this.stopAdding) {
        p.stopped = true;
        break;
      }
      for (const f of files.slice(i, i + ADD_BATCH)) {
        const name = f.webkitRelativePath || f.name;
        try {
          const r = await recordOf(f, name);
          // A photo's id is a hash of its bytes: the same file added twice (or under two names) is kept once.
          if (await db.has(r.id)) p.duplicates!++;
          else {
            await db.put(r);
            p.added!++;
          }
        } catch (e) {
          p.skipped.push({ photo: name, reason: (e as Error).message });
        }
      }
      p.done = Math.min(files.length, i + ADD_BATCH);
      this.progress({ ...p });
      await this.list();
    }
    this.progress({ ...p, finished: true });
  }

  async remove(ids: string[]): Promise<void> {
    await (await this.db()).remove(ids);
    this.index?.index.remove(ids);
    await this.list();
  }

  /** The loaded model's summary of the photo set (a fresh one for a new model). */
  private indexFor(l: NonNullable<Loaded>): ExampleIndex {
    if (this.index?.key !== l.key) this.index = { key: l.key, index: new ExampleIndex(l.model) };
    return this.index.index;
  }

  async explain(msg: Extract<ToWorker, { type: 'explain-photo' }>): Promise<void> {
    const l = this.loaded();
    if (!l) return this.post({ type: 'photo-error', req: msg.req, message: 'no model is loaded yet' });
    try {
      const rec = await (await this.db()).get(msg.photo);
      if (!rec) throw new Error('that photo is no longer in the set');
      const [h, w] = l.model.inputShape;
      const { view } = await viewOf(rec.blob, h, w);
      try {
        let classes = null;
        try {
          classScoreLayer(l.model);
          classes = await classify(l.model, view, 5);
        } catch {
          /* a model without class scores: no classes to show */
        }
        const layers = await explainLayers(l.model, view, msg.layers, msg.n, msg.pinned);
        const buffers = layers.flatMap((x) => Object.values(x.maps).map((m) => m.buffer as ArrayBuffer));
        this.post({ type: 'photo-explained', req: msg.req, result: { photo: rec.id, classes, layers } }, buffers);
      } finally {
        view.dispose();
      }
    } catch (e) {
      this.post({ type: 'photo-error', req: msg.req, message: (e as Error).message });
    }
  }

  /** Summarizes what is missing for the asked layers (with progress), then answers every asked channel. */
  async examples(msg: Extract<ToWorker, { type: 'examples' }>): Promise<void> {
    const l = this.loaded();
    if (!l) return this.post({ type: 'photo-error', req: msg.req, message: 'no model is loaded yet' });
    this.stopIndexing = false;
    try {
      const index = this.indexFor(l);
      const photos = await (await this.db()).list();
      const layers = [...new Set(msg.wants.map((w) => w.layer))];
      const missing = new Set(
        index.missing(
          layers,
          photos.map((p) => p.id),
        ),
      );
      if (missing.size) {
        const sources: PhotoSource[] = photos
          .filter((p) => missing.has(p.id))
          .map((p) => ({ id: p.id, load: (h, w) => viewOf(p.blob, h, w) }));
        const base = { work: 'indexing' as const, finished: false, stopped: false };
        const run = await indexPhotos(l.model, index, sources, layers, {
          batch: INDEX_BATCH,
          stop: () => this.stopIndexing,
          progress: (p) => this.progress({ ...base, ...p }),
        });
        this.progress({ ...base, ...run, finished: true });
        if (run.stopped) throw new Error(`${this.stopReason} before every photo was read for this layer`);
      }
      const results: ChannelExamples[] = msg.wants.flatMap((w) =>
        w.channels.map((channel) => {
          const max = index.best(w.layer, channel, 'max');
          const mean = index.best(w.layer, channel, 'mean');
          return {
            layer: w.layer,
            channel,
            examples: index.examples(w.layer, channel, msg.k),
            best: max && mean ? { max: max.value, maxPhoto: max.photo, mean: mean.value, meanPhoto: mean.photo } : null,
            photos: index.photosOf(w.layer).length,
          };
        }),
      );
      this.post({ type: 'examples', req: msg.req, modelKey: l.key, results });
    } catch (e) {
      this.post({ type: 'photo-error', req: msg.req, message: (e as Error).message });
    }
  }
}
