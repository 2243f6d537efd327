import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS, jobKey, type Job, type JobSettings } from '../../src/lib/protocol.ts';
import { staleAfterSettings } from '../../src/lib/studio/stale-jobs.ts';
import { bandSettings } from '../../src/lib/studio/unit-view.ts';

const layers = [
  { name: 'conv1_bn', logits: false },
  { name: 'conv_pw_6_bn', logits: false },
  { name: 'conv_preds', logits: true },
];
function job(layer: string, channel: number, settings: JobSettings, extra: Partial<Job> = {}): Job {
  const j = { modelId: 'm', layer, channel, variant: 0, settings, ...extra };
  return { ...j, id: jobKey(j), priority: 0 };
}
const nobody = () => false;

describe('the jobs a change of settings leaves behind', () => {
  const old = DEFAULT_JOB_SETTINGS;
  const next = { ...old, size: 64 };

  it("are the gallery's jobs under the old settings, in either view of a band", () => {
    const jobs = [job('conv_pw_6_bn', 0, old), job('conv1_bn', 0, bandSettings(layers[0], old, true)), job('conv1_bn', 1, old)];
    expect(staleAfterSettings(jobs, layers, next, nobody)).toEqual(jobs.map((j) => j.id));
  });

  it('leave what the new settings ask for: the same image, in the unit view or the channel view', () => {
    const jobs = [
      job('conv_pw_6_bn', 0, next),
      job('conv1_bn', 0, bandSettings(layers[0], next, true)),
      job('conv1_bn', 1, bandSettings(layers[0], next, false)),
    ];
    expect(staleAfterSettings(jobs, layers, next, nobody)).toEqual([]);
    // The objective menu's channel → neuron leaves a unit-view band's jobs (already the centre unit) where they are.
    const unitJob = job('conv1_bn', 2, bandSettings(layers[0], old, true));
    expect(staleAfterSettings([unitJob], layers, { ...old, objective: 'neuron' }, nobody)).toEqual([]);
  });

  it('never take what a person asked for, a composed objective, or a job of a layer this model lacks', () => {
    const clicked = job('conv_pw_6_bn', 3, old);
    const combo = job('conv_pw_6_bn', 4, old, { combo: { kind: 'neg' } });
    const foreign = job('other_layer', 0, old);
    const plain = job('conv_pw_6_bn', 5, old);
    const stale = staleAfterSettings([clicked, combo, foreign, plain], layers, next, (j) => j.id === clicked.id);
    expect(stale).toEqual([plain.id]);
  });

  it('in the class band: class scores under the new settings stay, under the old ones go', () => {
    const logit = (s: JobSettings) => job('conv_preds', 7, bandSettings(layers[2], s, false));
    expect(staleAfterSettings([logit(next)], layers, next, nobody)).toEqual([]);
    expect(staleAfterSettings([logit(old)], layers, next, nobody)).toEqual([logit(old).id]);
  });
});
