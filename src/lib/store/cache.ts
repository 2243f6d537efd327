/**
 * The render cache in IndexedDB (through `idb`): one record per rendered image, keyed by jobKey (model + layer +
 * channel + variant + settings), holding the final PNG and the objective curve; its snapshots' PNGs are kept apart,
 * under the same key, and read only when someone looks at them (the detail view's slider). Reading a model's
 * renders back then reads final images only: with the snapshots in the records, a thousand 128 px renders (about
 * 380 kB each with six snapshots) took 8.5 s to come back after a reload.
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
  curve: { step: number; value: number }[];
  value: number;
  seconds: number;
  backend: string;
  createdAt: number;
}

/** Intermediate images as PNG, by step. */
export type Snapshots = { step: number; png: Uint8Array }[];

interface Schema extends DBSchema {
  renders: { key: string; value: RenderRecord; indexes: { byModel: string } };
  snapshots: { key: string; value: { key: string; snapshots: Snapshots } };
}

/** Thrown when the browser refuses to store more; what was stored before stays. */
export class QuotaError extends Error {
  override name = 'QuotaError';
}

export class RenderCache {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  /**
   * Opens (and upgrades) the cache. `blocked` is called when a tab still holding an older version keeps the upgrade
   * waiting (the open completes once that tab closes or reloads); this version's tabs let a newer one upgrade.
   */
  static async open(name = 'featurescope', blocked?: () => void): Promise<RenderCache> {
    const db = await openDB<Schema>(name, 2, {
      blocked,
      blocking() {
        db.close();
      },
      async upgrade(d, oldVersion, _newVersion, tx) {
        if (oldVersion < 1) d.createObjectStore('renders', { keyPath: 'key' }).createIndex('byModel', 'modelId');
        if (oldVersion < 2) {
          d.createObjectStore('snapshots', { keyPath: 'key' });
          // Version 1 kept each render's snapshots in its record: they move to their own store.
          let cursor = oldVersion >= 1 ? await tx.objectStore('renders').openCursor() : null;
          while (cursor) {
            const { snapshots, ...record } = cursor.value as RenderRecord & { snapshots?: Snapshots };
            if (snapshots) {
              await tx.objectStore('snapshots').put({ key: record.key, snapshots });
              await cursor.update(record);
            }
            cursor = await cursor.continue();
          }
        }
      },
    });
    return new RenderCache(db);
  }

  get(key: string): Promise<RenderRecord | undefined> {
    return this.db.get('renders', key);
  }

  /** A render's snapshots (none when it has none or is not cached). */
  async snapshots(key: string): Promise<Snapshots> {
    return (await this.db.get('snapshots', key))?.snapshots ?? [];
  }

  /** A model's renders, without their snapshots. */
  forModel(modelId: string): Promise<RenderRecord[]> {
    return this.db.getAllFromIndex('renders', 'byModel', modelId);
  }

  /** Keeps a render and its snapshots, both or neither. */
  async put(record: RenderRecord, snapshots: Snapshots = []): Promise<void> {
    try {
      const tx = this.db.transaction(['renders', 'snapshots'], 'readwrite');
      await Promise.all([
        tx.objectStore('renders').put(record),
        tx.objectStore('snapshots').put({ key: record.key, snapshots }),
        tx.done,
      ]);
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
    const tx = this.db.transaction(['renders', 'snapshots'], 'readwrite');
    await Promise.all([tx.objectStore('renders').clear(), tx.objectStore('snapshots').clear(), tx.done]);
  }

  close(): void {
    this.db.close();
  }
}
