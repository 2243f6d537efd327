/** ZIP of a layer's rendered images plus manifest.json (fflate: small, synchronous, works in any context). */
import { zipSync, strToU8 } from 'fflate';

export interface ZipEntry {
  name: string;
  png: Uint8Array;
  meta: Record<string, unknown>;
}

/** `extra`: more files by path (a layer's dataset examples). */
export function layerZip(
  entries: ZipEntry[],
  manifestExtra: Record<string, unknown> = {},
  extra: Record<string, Uint8Array> = {},
): Uint8Array {
  const files: Record<string, Uint8Array> = { ...extra };
  for (const e of entries) files[e.name] = e.png;
  const manifest = { ...manifestExtra, images: entries.map((e) => ({ file: e.name, ...e.meta })) };
  files['manifest.json'] = strToU8(JSON.stringify(manifest, null, 2));
  // PNGs are already deflated: store them.
  return zipSync(files, { level: 0 });
}
