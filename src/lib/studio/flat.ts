/**
 * A render whose objective never moved, from the first recorded step to the last: no change of the image reached
 * the unit (a dead ReLU, a constant channel, a closed gate), so its flat image says nothing about what it detects.
 */
export function neverMoved(curve: { value: number }[]): boolean {
  if (curve.length < 2) return false;
  const values = curve.map((c) => c.value);
  const span = Math.max(...values) - Math.min(...values);
  return span <= 1e-6 * Math.max(1, Math.abs(values[0]));
}

export const FLAT_NOTE = 'the objective never moved: no change of the image reaches this unit (dead, or gated off)';
