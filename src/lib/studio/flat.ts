/**
 * A render whose objective (all but) never moved, from the first recorded step to the last: no change of the image
 * reached the unit (a dead ReLU, a constant channel, a closed gate), so its image says nothing about what it detects.
 * "All but": a filter whose weights are practically zero still passes a gradient some 10⁻⁵ of a live one's, and Adam,
 * which normalizes step sizes, turns it into a confident-looking picture (MobileNet v1 α0.75's conv1 channel 2: a
 * red blob while its value moved by 2·10⁻⁵ of 0.29 in 64 steps). A live unit's value moves by a large part of itself.
 */
const RELATIVE_SPAN = 1e-3;

export function neverMoved(curve: { value: number }[]): boolean {
  if (curve.length < 2) return false;
  const values = curve.map((c) => c.value);
  const span = Math.max(...values) - Math.min(...values);
  return span <= RELATIVE_SPAN * Math.max(...values.map(Math.abs));
}

export const FLAT_NOTE =
  'the objective (all but) never moved: no change of the image reaches this unit (dead, or gated off), whatever the picture shows';
