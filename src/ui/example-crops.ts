/**
 * A layer's dataset examples as files for its ZIP: each crop as a PNG of the photo's own pixels in the box
 * (examples/<layer>-<channel>-<rank>.png, rank 1 = best) and examples/examples.json in the CLI's schema.
 */
import { strToU8 } from 'fflate';
import type { ChannelExamples } from '../lib/protocol.ts';
import type { PhotoSet } from '../lib/studio/photo-set.svelte.ts';
import { safeName } from './download.ts';

async function cropPng(blob: Blob, b: { x: number; y: number; width: number; height: number }): Promise<Uint8Array> {
  const bitmap = await createImageBitmap(blob, b.x, b.y, b.width, b.height);
  try {
    const canvas = new OffscreenCanvas(b.width, b.height);
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
    return new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
  } finally {
    bitmap.close();
  }
}

export async function exampleFiles(
  results: ChannelExamples[],
  photos: PhotoSet,
  head: { model: string; layer: string; inputSize: number[] },
): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  const channels = [];
  for (const r of results) {
    const examples = [];
    for (const [rank, e] of r.examples.entries()) {
      const rec = photos.byId(e.photo);
      if (!rec) continue;
      const { photo: _id, ...box } = e;
      examples.push({ photo: rec.name, ...box });
      files[`examples/${safeName(head.layer)}-${r.channel}-${rank + 1}.png`] = await cropPng(rec.blob, e);
    }
    channels.push({ channel: r.channel, examples });
  }
  files['examples/examples.json'] = strToU8(JSON.stringify({ ...head, channels }, null, 2));
  return files;
}
