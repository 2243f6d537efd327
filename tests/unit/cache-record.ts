/** A render-cache record for tests: an 8×8 image under model "m", layer "l", with whatever `over` changes. */
import { encodePng } from '../../src/lib/export/png.ts';
import { DEFAULT_JOB_SETTINGS } from '../../src/lib/protocol.ts';
import type { RenderRecord } from '../../src/lib/store/cache.ts';

export function cacheRecord(key: string, over: Partial<RenderRecord> = {}): RenderRecord {
  return {
    key,
    modelId: 'm',
    layer: 'l',
    channel: 0,
    variant: 0,
    settings: DEFAULT_JOB_SETTINGS,
    width: 8,
    height: 8,
    png: encodePng(new Uint8Array(8 * 8 * 4).fill(1), 8, 8),
    curve: [],
    value: 0,
    seconds: 0,
    backend: 'wasm',
    createdAt: 0,
    ...over,
  };
}
