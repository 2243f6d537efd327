import { describe, expect, it } from 'vitest';
import { PhotoLab } from '../../src/lib/studio/photo-lab.svelte.ts';
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
    expect(l.busy).toEqual({ convolve: true, attack: true });
    l.handle({ type: 'convolved', req: conv, lab: convolved });
    expect(l.busy).toEqual({ convolve: false, attack: true });
    l.handle({ type: 'attacked', req: attack, result: attacked });
    expect(l.busy).toEqual({ convolve: false, attack: false });
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
    expect(l.error).toEqual({ convolve: null, attack: 'out of memory' });
    expect(l.busy).toEqual({ convolve: true, attack: false });
    l.handle({ type: 'convolved', req: latest, lab: convolved });
    expect(l.convRequest).toEqual({ kernel: 'magnitude', stride: 2, padding: 'valid' });
  });

  it('a restarted worker ends what was in flight with a message, and leaves the idle work alone', () => {
    const { lab: l } = lab();
    l.runAttack(cat, 4, 10, null, 'm');
    l.workerRestarted();
    expect(l.busy).toEqual({ convolve: false, attack: false });
    expect(l.error.attack).toMatch(/restarted/);
    expect(l.error.convolve).toBeNull();
  });
});
