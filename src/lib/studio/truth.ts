/**
 * The truth number: how strongly a rendered image drives its target compared with the best of the person's photos
 * — the image's objective value divided by the photos' best value of the same measure (the channel's mean for the
 * channel objective, the maximum over positions for a unit or a class score). Above 1, the picture is a stronger
 * stimulus than anything in the photos.
 */
import type { ChannelExamples } from '../protocol.ts';
import type { Card } from './cards.ts';

export interface Truth {
  /** Image value ÷ the photos' best; null when it cannot be a ratio (no positive best, nothing rendered yet). */
  ratio: number | null;
  text: string;
  /** How it is measured (a tooltip). */
  how: string;
}

export function truthOf(
  card: Pick<Card, 'value' | 'status' | 'settings' | 'combo' | 'channel'>,
  ex: ChannelExamples | undefined,
): Truth | null {
  if (!ex?.best || card.status !== 'done' || card.value == null) return null;
  const byMean = card.settings.objective === 'channel' && !card.combo;
  const best = byMean ? ex.best.mean : ex.best.max;
  const measure = byMean ? 'mean activation' : card.settings.objective === 'logit' ? 'class score' : 'activation';
  const how =
    `the image's ${measure} (${card.value.toFixed(3)}, at its render size) ÷ the best ${measure} over your ` +
    `${ex.photos} photo(s) (${best.toFixed(3)}, each centre-cropped at the network's input size)`;
  if (!(best > 0)) {
    // No ratio against a best at or below 0; what can be said is whether the image beats it.
    const beats = card.value > best ? `stronger than any of your ${ex.photos} photos` : `no stronger than your best photo`;
    // Say which measure: the dataset examples beside it rank the same photos by their strongest unit, often far above 0.
    return { ratio: null, text: `${beats}: none of them drives its ${measure} above 0 (best ${best.toFixed(3)})`, how };
  }
  const ratio = card.value / best;
  const verdict = ratio >= 1 ? 'stronger than' : 'weaker than';
  return {
    ratio,
    text: `${ratio.toFixed(2)}× the best of your ${ex.photos} photos — ${verdict} any of them (${measure})`,
    how,
  };
}
