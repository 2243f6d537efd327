/**
 * The hand-made 3×3 kernels of the founding text (identity, box blur, sharpen, Sobel), row by row. Plain data: the
 * playground's page offers them without loading the engine, and the worker convolves with them (convolution.ts).
 */
export const KERNEL_PRESETS = {
  identity: [0, 0, 0, 0, 1, 0, 0, 0, 0],
  'box blur': [1, 1, 1, 1, 1, 1, 1, 1, 1].map((v) => v / 9),
  sharpen: [0, -1, 0, -1, 5, -1, 0, -1, 0],
  'Sobel x': [-1, 0, 1, -2, 0, 2, -1, 0, 1],
  'Sobel y': [-1, -2, -1, 0, 0, 0, 1, 2, 1],
} as const;
export type Preset = keyof typeof KERNEL_PRESETS;
