/**
 * The time per optimization step of a layer not rendered yet, from the layers that were (for ETAs). Measured on
 * MobileNet v1 (wasm, batch 4, the cost of one more step of renders cut at each layer): a step costs a fixed part — the image's
 * parameterization, transforms and optimizer, per pixel — plus the network up to the layer, and the whole grows about
 * in a straight line with depth: α0.75 at 128 px 10.1 ms at conv1, 16.0 at conv_pw_3, 21.6 at conv_pw_5, 34.1 at
 * conv_pw_9, 39.0 at conv_pw_13; α0.25 at 96 px 7.6 → 9.4 over the same layers. A cost proportional to depth (what the
 * ETA assumed before) put conv_pw_13 at 40× conv1, and the default page's first ETA at 15–20 minutes for a queue
 * that took 1–2.
 */

/** A measured ms per step, at a layer's depth, already scaled to the size asked about. */
export interface CostPoint {
  depth: number;
  ms: number;
}

/**
 * ms per step at `depth`: a straight line through the measured points, its slope drawn towards a prior one — a line
 * that doubles from the input to `maxDepth` — as much as a pair of points a fifth of the depth apart would, so that two
 * nearby shallow layers (one of them slow from the first render's warm-up) do not set a steep slope for the whole
 * network. Never falling with depth, never below half the cheapest layer measured; null with nothing measured.
 */
export function estimateStepMs(points: CostPoint[], depth: number, maxDepth: number): number | null {
  if (!points.length) return null;
  const n = points.length;
  const meanD = points.reduce((s, p) => s + p.depth, 0) / n;
  const meanMs = points.reduce((s, p) => s + p.ms, 0) / n;
  const spread = points.reduce((s, p) => s + (p.depth - meanD) ** 2, 0);
  const covariance = points.reduce((s, p) => s + (p.depth - meanD) * (p.ms - meanMs), 0);
  const priorSlope = meanMs / (maxDepth + 1);
  const weight = (Math.max(1, maxDepth) / 5) ** 2;
  const slope = Math.max(0, (covariance + weight * priorSlope) / (spread + weight));
  const floor = 0.5 * Math.min(...points.map((p) => p.ms));
  return Math.max(floor, meanMs + slope * (depth - meanD));
}
