/**
 * Models a person keeps in the browser: the package in TensorFlow.js's indexeddb:// storage, and beside it, in a
 * small IndexedDB store of our own, what the studio needs to list it without loading its weights (input range,
 * labels, the content key its renders are cached under).
 */
import * as tf from '@tensorflow/tfjs';
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { artifactsReader, MAX_MODEL_JSON_BYTES, parseModelJson, safeWeightPath } from '../src/lib/engine/artifacts.ts';
import type { InputMapping, UserModelInfo } from '../src/lib/protocol.ts';
import type { Opened } from './sources.ts';

const PREFIX = 'indexeddb://featurescope/';

export interface KeptMeta {
  inputRange?: [number, number];
  normalize?: InputMapping['normalize'];
  labels?: string[];
  key?: string;
  /** The URL it was opened from, when it came from one (links to its images name it). */
  origin?: string;
}

interface Schema extends DBSchema {
  meta: { key: string; value: KeptMeta & { name: string } };
}

export class ModelStore {
  private db: Promise<IDBPDatabase<Schema>> | null = null;

  private meta(): Promise<IDBPDatabase<Schema>> {
    this.db ??= openDB<Schema>('featurescope-models', 1, {
      upgrade: (d) => void d.createObjectStore('meta', { keyPath: 'name' }),
    });
    return this.db;
  }

  private async metaOf(name: string, fallback?: unknown): Promise<KeptMeta | undefined> {
    const m = await (await this.meta()).get('meta', name);
    // Models kept before the metadata store carried it in the package's own metadata.
    return m ?? (fallback as { featurescope?: KeptMeta } | undefined)?.featurescope;
  }

  async open(name: string): Promise<Opened> {
    const handler = tf.io.getLoadHandlers(PREFIX + name)[0];
    if (!handler?.load) throw new Error(`no stored model named ${name}`);
    let a: tf.io.ModelArtifacts;
    try {
      a = await handler.load();
    } catch (e) {
      throw new Error(`no model named ${name} is kept in this browser (${(e as Error).message})`, { cause: e });
    }
    return {
      read: artifactsReader({
        modelTopology: a.modelTopology,
        weightSpecs: a.weightSpecs ?? [],
        weightData: tf.io.concatenateArrayBuffers(Array.isArray(a.weightData) ? a.weightData : [a.weightData as ArrayBuffer]),
        format: a.format,
      }),
      entry: 'model.json',
      stored: await this.metaOf(name, a.userDefinedMetadata),
    };
  }

  /**
   * Keeps a loaded package under `name`. The same model under its own name again is a no-op; another model under a
   * taken name is refused (it would overwrite that one and show its renders).
   */
  async save(name: string, o: Opened, meta: KeptMeta & { key: string }): Promise<void> {
    const existing = (await tf.io.listModels())[PREFIX + name];
    if (existing) {
      const old = await this.metaOf(name);
      if (old?.key === meta.key) return;
      throw new Error(`a different model named "${name}" is already kept in this browser: open this one under another name`);
    }
    const json = parseModelJson(new TextDecoder().decode(await o.read(o.entry, MAX_MODEL_JSON_BYTES)), o.entry);
    const dir = o.entry.includes('/') ? o.entry.slice(0, o.entry.lastIndexOf('/') + 1) : '';
    const parts: ArrayBuffer[] = [];
    for (const g of json.weightsManifest) for (const p of g.paths) parts.push(await o.read(dir + safeWeightPath(p)));
    await tf.io.getSaveHandlers(PREFIX + name)[0].save!({
      modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      format: json.format,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
      weightData: tf.io.concatenateArrayBuffers(parts),
    });
    await (await this.meta()).put('meta', { name, ...meta });
  }

  /** Every kept model, from the storage's own index and our metadata: no weights are read. */
  async list(): Promise<UserModelInfo[]> {
    const all = await tf.io.listModels();
    const db = await this.meta();
    const models: UserModelInfo[] = [];
    for (const [url, info] of Object.entries(all)) {
      if (!url.startsWith(PREFIX)) continue;
      const name = url.slice(PREFIX.length);
      const meta = await db.get('meta', name);
      models.push({
        name,
        key: meta?.key ?? null,
        bytes: (info.weightDataBytes ?? 0) + (info.modelTopologyBytes ?? 0),
        saved: new Date(info.dateSaved).toISOString(),
        inputRange: meta?.inputRange ?? [0, 1],
        normalize: meta?.normalize,
        labels: Boolean(meta?.labels?.length),
        origin: meta?.origin ?? null,
      });
    }
    return models;
  }

  async remove(name: string): Promise<void> {
    await tf.io.removeModel(PREFIX + name);
    await (await this.meta()).delete('meta', name);
  }

  /** A kept model's input range, changed after the fact (the next load uses it). */
  async setRange(name: string, mapping: InputMapping): Promise<void> {
    if (!(await tf.io.listModels())[PREFIX + name]) throw new Error(`no model named "${name}" is kept`);
    const db = await this.meta();
    const meta = (await db.get('meta', name)) ?? { name };
    await db.put('meta', { ...meta, name, inputRange: mapping.inputRange, normalize: mapping.normalize });
  }

  async rename(name: string, to: string): Promise<void> {
    if ((await tf.io.listModels())[PREFIX + to]) throw new Error(`a model named "${to}" is already kept`);
    await tf.io.moveModel(PREFIX + name, PREFIX + to);
    const db = await this.meta();
    const meta = await db.get('meta', name);
    if (meta) {
      await db.put('meta', { ...meta, name: to });
      await db.delete('meta', name);
    }
  }
}
