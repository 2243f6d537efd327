import { describe, expect, it } from 'vitest';
import { PhotoLab } from '../../src/lib/studio/photo-lab.svelte.ts';
import { spreadLayers } from '../../src/lib/studio/main-layers.ts';
import type { AttackResult } from '../../src/lib/engine/adversarial.ts';
import type { ConvolvedLab, ToWorker } from '../../src/lib/protocol.ts';

const lab = () => {
  const sent: ToWorker[] = [];
  return { lab: new PhotoLab((m) => sent.push(m)), sent };
};
const reqOf = (m: ToWorker | undefined) => (m && 'req' in m ? m.req : -1);
const convolved = { side: 4, gray: new Float32Array(16), output: {}, maps: null } as unknown as ConvolvedLab;
const attacked = { method: 'pgd', steps: 3, success: true } as unknown as AttackResult;
const cat = { name: 'cat' };

describe('the photo lab keeps a convolution and an attack apart', () => {
  it('an attack answered after a convolution was asked for is shown, and both stop being busy', () => {
    const { lab: l, sent } = lab();
    l.runAttack(cat, 4, 10, null, 'm');
    const attack = reqOf(sent[0]);
    l.convolve(cat, 'magnitude', 1, 'same');
    const conv = reqOf(sent[1]);
    expect(l.busy).toEqual({ convolve: true, attack: true, invert: false });
    l.handle({ type: 'convolved', req: conv, lab: convolved });
    expect(l.busy).toEqual({ convolve: false, attack: true, invert: false });
    l.handle({ type: 'attacked', req: attack, result: attacked });
    expect(l.busy).toEqual({ convolve: false, attack: false, invert: false });
    expect(l.attack).toBe(attacked);
    expect(l.attackAsked).toMatchObject({ model: 'm', photo: 'cat', epsilon: 4 });
    expect(l.conv).toBe(convolved);
  });

  it('drops a reply to an older request of its own kind, and an error goes to the work that failed', () => {
    const { lab: l, sent } = lab();
    l.convolve(cat, [0, 0, 0, 0, 1, 0, 0, 0, 0], 1, 'same');
    l.convolve(cat, 'magnitude', 2, 'valid');
    l.runAttack(cat, 4, 10, null, 'm');
    const [old, latest, attack] = sent.map(reqOf);
    l.handle({ type: 'convolved', req: old, lab: convolved });
    expect(l.conv).toBeNull();
    expect(l.busy.convolve).toBe(true);
    l.handle({ type: 'lab-error', req: attack, message: 'out of memory' });
    expect(l.error).toEqual({ convolve: null, attack: 'out of memory', invert: null });
    expect(l.busy).toEqual({ convolve: true, attack: false, invert: false });
    l.handle({ type: 'convolved', req: latest, lab: convolved });
    expect(l.convRequest).toEqual({ kernel: 'magnitude', stride: 2, padding: 'valid' });
  });

  it('a restarted worker ends what was in flight with a message, and leaves the idle work alone', () => {
    const { lab: l } = lab();
    l.runAttack(cat, 4, 10, null, 'm');
    l.workerRestarted();
    expect(l.busy).toEqual({ convolve: false, attack: false, invert: false });
    expect(l.error.attack).toMatch(/restarted/);
    expect(l.error.convolve).toBeNull();
  });
});

describe("the photo lab's inversion", () => {
  const snap = (step: number, done = false) => ({
    step,
    steps: 96,
    images: [new Uint8Array(4)],
    values: [1],
    width: 1,
    height: 1,
    done,
  });

  it('shows each snapshot of the latest inversion, and is done with the last', () => {
    const { lab: l, sent } = lab();
    l.invert(cat, ['a', 'b'], 128, 96, 'm');
    const req = reqOf(sent[0]);
    expect(sent[0]).toMatchObject({ type: 'invert', layers: ['a', 'b'], size: 128, steps: 96 });
    l.handle({ type: 'inverted', req, snapshot: snap(16) });
    expect(l.inversion).toMatchObject({ model: 'm', photo: 'cat', snapshot: { step: 16 }, ended: null });
    expect(l.busy.invert).toBe(true);
    l.handle({ type: 'inverted', req, snapshot: snap(96, true) });
    expect(l.busy.invert).toBe(false);
    expect(l.inversion?.snapshot?.done).toBe(true);
  });

  it('a stop keeps the images so far and drops what comes after; a stop from the worker says why, and a failure is an error', () => {
    const { lab: l, sent } = lab();
    l.invert(cat, ['a'], 128, 96, 'm');
    const first = reqOf(sent[0]);
    l.handle({ type: 'inverted', req: first, snapshot: snap(16) });
    l.stopInversion();
    expect(sent[1]).toEqual({ type: 'invert-stop' });
    l.handle({ type: 'inverted', req: first, snapshot: snap(32) });
    expect(l.inversion).toMatchObject({ snapshot: { step: 16 }, ended: { how: 'stopped', why: null } });
    expect(l.busy.invert).toBe(false);
    // A model change stops the next one in the worker: its message ends it as stopped, with the reason, not an error.
    l.invert(cat, ['a'], 128, 96, 'm');
    l.handle({ type: 'lab-error', req: reqOf(sent[2]), message: 'another model was opened', stopped: true });
    expect(l.inversion?.ended).toEqual({ how: 'stopped', why: 'another model was opened' });
    expect(l.error.invert).toBeNull();
    expect(l.busy.invert).toBe(false);
    // A failure is one: an error, and the inversion marked failed.
    l.invert(cat, ['a'], 128, 96, 'm');
    l.handle({ type: 'lab-error', req: reqOf(sent[3]), message: 'not an image the browser can decode' });
    expect(l.inversion?.ended).toMatchObject({ how: 'failed' });
    expect(l.error.invert).toBe('not an image the browser can decode');
    expect(l.error.attack).toBeNull();
  });
});

describe('the layers an inversion shows by default', () => {
  it('spreads four over the depth of MobileNet: edges, textures, patterns, parts', () => {
    const names = ['conv1_bn'];
    for (let i = 1; i <= 13; i++) names.push(`conv_dw_${i}_bn`, `conv_pw_${i}_bn`);
    expect(spreadLayers(names)).toEqual(['conv_pw_1_bn', 'conv_pw_3_bn', 'conv_pw_6_bn', 'conv_pw_11_bn']);
  });

  it('never shows a layer twice, and takes what there is in a short network', () => {
    expect(spreadLayers(['c1', 'c2'])).toEqual(['c1', 'c2']);
    expect(spreadLayers(['only'])).toEqual(['only']);
    expect(spreadLayers([])).toEqual([]);
  });
});
