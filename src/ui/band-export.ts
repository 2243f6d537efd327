/**
 * A layer band's exports: the ZIP of its rendered images with their manifest (and, when the person has photos, each
 * channel's dataset examples), and the contact sheet as one PNG.
 */
import type { LayerInfo } from '../lib/engine/model.ts';
import { contactSheet } from '../lib/export/contact-sheet.ts';
import { encodePng } from '../lib/export/png.ts';
import { layerZip } from '../lib/export/zip.ts';
import type { Card, Studio } from '../lib/studio/studio.svelte.ts';
import { download, safeName } from './download.ts';
import { variantSuffix } from '../lib/export/file-names.ts';
import { exampleFiles } from './example-crops.ts';

const baseName = (studio: Studio, layer: LayerInfo) => `${safeName(studio.modelId)}-${safeName(layer.name)}`;

export async function downloadBandZip(studio: Studio, layer: LayerInfo, rendered: Card[]): Promise<void> {
  const base = baseName(studio, layer);
  const list = [...rendered].sort((a, b) => a.channel - b.channel || a.variant - b.variant);
  const entries = list.map((c) => ({
    name: `${base}-${c.channel}${variantSuffix(c.variant, c.settings.variants)}.png`,
    png: studio.pngOf(c),
    meta: { ...studio.meta(c) },
  }));
  let extra: Record<string, Uint8Array> = {};
  if (studio.photos.photos.length && studio.shown) {
    try {
      const results = await studio.photos.fetch(layer.name, [...new Set(list.map((c) => c.channel))]);
      const [h, w] = studio.shown.inputShape;
      extra = await exampleFiles(results, studio.photos, { model: studio.modelId, layer: layer.name, inputSize: [h, w] });
    } catch (e) {
      studio.note('error', `The ZIP has no dataset examples: ${(e as Error).message}`);
    }
  }
  download(
    layerZip(entries, { model: studio.modelId, layer: layer.name, shape: layer.shape }, extra),
    `${base}.zip`,
    'application/zip',
  );
}

export function downloadBandSheet(studio: Studio, layer: LayerInfo, rendered: Card[]): void {
  const sorted = [...rendered].sort((a, b) => a.channel - b.channel);
  const tiles = sorted.map((c) => ({
    rgba: new Uint8Array(c.frame!.rgba.buffer),
    width: c.frame!.width,
    height: c.frame!.height,
    label: String(c.channel),
  }));
  const sheet = contactSheet(tiles, 8);
  download(
    encodePng(sheet.rgba, sheet.width, sheet.height, {
      model: studio.modelId,
      layer: layer.name,
      channels: sorted.map((c) => c.channel),
    }),
    `${baseName(studio, layer)}-sheet.png`,
    'image/png',
  );
}
