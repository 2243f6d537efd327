/** A contact sheet: rendered tiles in a grid with a label strip under each (DOM-free). */
import { glyph, GLYPH_H, GLYPH_W } from './digits.ts';

export interface Tile {
  rgba: Uint8Array;
  width: number;
  height: number;
  label: string;
}

export function contactSheet(tiles: Tile[], columns: number, gap = 4): { rgba: Uint8Array; width: number; height: number } {
  if (!tiles.length) throw new Error('contact sheet: no tiles');
  const tw = Math.max(...tiles.map((t) => t.width));
  const th = Math.max(...tiles.map((t) => t.height));
  const labelH = GLYPH_H * 2 + 6;
  const cols = Math.min(columns, tiles.length);
  const rows = Math.ceil(tiles.length / cols);
  const width = cols * tw + (cols + 1) * gap;
  const height = rows * (th + labelH) + (rows + 1) * gap;
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < out.length; i += 4) {
    out[i] = 24;
    out[i + 1] = 24;
    out[i + 2] = 28;
    out[i + 3] = 255;
  }
  tiles.forEach((t, k) => {
    const x0 = gap + (k % cols) * (tw + gap);
    const y0 = gap + Math.floor(k / cols) * (th + labelH + gap);
    for (let y = 0; y < t.height; y++) {
      out.set(t.rgba.subarray(y * t.width * 4, (y + 1) * t.width * 4), ((y0 + y) * width + x0) * 4);
    }
    // Label, drawn at 2× with the built-in glyphs.
    let cx = x0 + 2;
    const cy = y0 + th + 3;
    for (const ch of t.label) {
      const g = glyph(ch);
      for (let gy = 0; gy < GLYPH_H; gy++)
        for (let gx = 0; gx < GLYPH_W; gx++)
          if (g[gy] & (1 << (GLYPH_W - 1 - gx)))
            for (let dy = 0; dy < 2; dy++)
              for (let dx = 0; dx < 2; dx++) {
                const px = cx + gx * 2 + dx;
                const py = cy + gy * 2 + dy;
                if (px < width && py < height) out.fill(230, (py * width + px) * 4, (py * width + px) * 4 + 3);
              }
      cx += (GLYPH_W + 1) * 2;
    }
  });
  return { rgba: out, width, height };
}
