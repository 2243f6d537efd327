/**
 * The colour scale of activation maps over a photo: 0 and below transparent, then dark violet → red → orange →
 * pale yellow at the scale's top, more opaque as the value grows. The legend draws the same stops.
 */
export const HEAT_STOPS: [number, number, number][] = [
  [40, 10, 90],
  [150, 30, 120],
  [230, 70, 50],
  [250, 160, 40],
  [255, 245, 170],
];

/** Colour of t in [0, 1] on the scale. */
export function heat(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (HEAT_STOPS.length - 1);
  const i = Math.min(HEAT_STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [HEAT_STOPS[i], HEAT_STOPS[i + 1]];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

/** RGBA of a map (height × width, row by row) on the scale 0 → top. */
export function heatRgba(map: Float32Array, top: number): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(map.length * 4);
  for (let i = 0; i < map.length; i++) {
    const t = top > 0 ? map[i] / top : 0;
    if (!(t > 0)) continue;
    const [r, g, b] = heat(t);
    // Weak activations stay faint, so where the channel fires stands out.
    out.set([r, g, b, Math.round(235 * Math.min(1, t) ** 1.5)], i * 4);
  }
  return out;
}

/** The CSS gradient of the legend. */
export const HEAT_GRADIENT = `linear-gradient(to right, ${HEAT_STOPS.map(([r, g, b]) => `rgb(${r},${g},${b})`).join(', ')})`;
