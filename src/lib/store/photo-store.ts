/**
 * The person's photo set in IndexedDB (through `idb`): each photo's original bytes, a small JPEG thumbnail and its
 * size, keyed by a hash of its bytes (the same photo added twice is kept once). Written by the worker, which decodes
 * the photos; the studio gets the list from it. Its own database, apart from the render cache.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

export interface PhotoRecord {
  /** SHA-256 of the bytes, hex (first 16 characters). */
  id: string;
  name: string;
  blob: Blob;
  thumb: Blob;
  width: number;
  height: number;
  addedAt: number;
}

interface Schema extends DBSchema {
  photos: { key: string; value: PhotoRecord };
  meta: { key: string; value: { key: string; value: unknown } };
}

export class PhotoStore {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  static async open(name = 'featurescope-photos'): Promise<PhotoStore> {
    const db = await openDB<Schema>(name, 1, {
      upgrade(d) {
        d.createObjectStore('photos', { keyPath: 'id' });
        d.createObjectStore('meta', { keyPath: 'key' });
      },
    });
    return new PhotoStore(db);
  }

  /** All photos, oldest first. */
  async list(): Promise<PhotoRecord[]> {
    return (await this.db.getAll('photos')).sort((a, b) => a.addedAt - b.addedAt || a.name.localeCompare(b.name));
  }

  get(id: string): Promise<PhotoRecord | undefined> {
    return this.db.get('photos', id);
  }

  async has(id: string): Promise<boolean> {
    return (await this.db.getKey('photos', id)) !== undefined;
  }

  async put(r: PhotoRecord): Promise<void> {
    try {
      await this.db.put('photos', r);
    } catch (e) {
      if ((e as DOMException)?.name === 'QuotaExceededError')
        throw new Error('browser storage is full: no more photos can be kept', { cause: e });
      throw e;
    }
  }

  async remove(ids: string[]): Promise<void> {
    const tx = this.db.transaction('photos', 'readwrite');
    await Promise.all([...ids.map((id) => tx.store.delete(id)), tx.done]);
  }

  /** Whether the sample photos were put in once (a person who removed them does not get them back). */
  async seeded(): Promise<boolean> {
    return (await this.db.get('meta', 'seeded')) !== undefined;
  }

  async markSeeded(): Promise<void> {
    await this.db.put('meta', { key: 'seeded', value: Date.now() });
  }

  close(): void {
    this.db.close();
  }
}

/** A hex SHA-256 prefix of the bytes: a photo's identity. */
export async function photoId(bytes: ArrayBuffer): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...d.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
