/**
 * The render cache in IndexedDB (through `idb`): one record per rendered image, keyed by jobKey (model + layer +
 * channel + variant + settings), holding the final PNG, the snapshots' PNGs and the objective curve.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Combo, JobSettings } from '../protocol.ts';

export interface RenderRecord {
  key: string;
  modelId: string;
  layer: string;
  channel: number;
  variant: number;
  /** A composed objective around `channel`, when the image is one. */
  combo?: Combo;
  settings: JobSettings;
  width: number;
  height: number;
  /** Final image as PNG (with the settings chunk). */
  png: Uint8Array;
  /** Intermediate images as PNG, by step. */
  snapshots: { step: number; png: Uint8Array }[];
  curve: { step: number; value: number }[];
  value: number;
  seconds: number;
  backend: string;
  createdAt: number;
}

interface Schema extends DBSchema {
  renders: { key: string; value: RenderRecord; indexes: { byModel: string } };
}

/** Thrown when the browser refuses to store more; what was stored before stays. */
export class QuotaError extends Error {
  override name = 'QuotaError';
}

export class RenderCache {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  static async open(name = 'featurescope'): Promise<RenderCache> {
    const db = await openDB<Schema>(name, 1, {
      upgrade(d) {
        const store = d.createObjectStore('renders', { keyPath: 'key' });
        store.createIndex('byModel', 'modelId');
      },
    });
    return new RenderCache(db);
  }

  get(key: string): Promise<RenderRecord | undefined> {
    return this.db.get('renders', key);
  }

  forModel(modelId: string): Promise<RenderRecord[]> {
    return this.db.getAllFromIndex('renders', 'byModel', modelId);
  }

  async put(record: RenderRecord): Promise<void> {
    try {
      await this.db.put('renders', record);
    } catch (e) {
      const err = e as DOMException;
      if (err?.name === 'QuotaExceededError') throw new QuotaError('browser storage is full: new renders are not cached');
      throw e;
    }
  }

  async count(): Promise<number> {
    return this.db.count('renders');
  }

  async clear(): Promise<void> {
    await this.db.clear('renders');
  }

  close(): void {
    this.db.close();
  }
}
