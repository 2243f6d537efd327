/**
 * What a change of the settings leaves behind. The gallery asks for renders by itself — a couple of channels of every
 * band in the background, the first cards of a band on screen — under the settings of the moment; once the settings
 * change, those of its requests that are not finished render images nobody looks at (a card shows its current
 * settings' image, or a finished one marked "other settings"), ahead of the gallery's new requests. They are the
 * stale ones. What a person asked for (a click, a range, a composed objective, a link) is never stale.
 */
import type { LayerInfo } from '../engine/model.ts';
import { jobKey, type Job, type JobSettings } from '../protocol.ts';
import { bandSettings } from './unit-view.ts';

/**
 * Ids of the unfinished `jobs` of this model's `layers` that no band would ask for under `next`: neither in the unit
 * view nor in the channel view (a band's choice between the two is its own), and that `askedByPerson` does not claim.
 */
export function staleAfterSettings(
  jobs: Iterable<Job>,
  layers: Pick<LayerInfo, 'name' | 'logits'>[],
  next: JobSettings,
  askedByPerson: (job: Job) => boolean,
): string[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const stale: string[] = [];
  for (const job of jobs) {
    const layer = byName.get(job.layer);
    if (!layer || job.combo || askedByPerson(job)) continue;
    const wanted = [true, false].map((units) => jobKey({ ...job, settings: bandSettings(layer, next, units) }));
    if (!wanted.includes(job.id)) stale.push(job.id);
  }
  return stale;
}
