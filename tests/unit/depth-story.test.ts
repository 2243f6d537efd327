import { describe, expect, it } from 'vitest';
import { stageOf, stageStarts, storyOf } from '../../src/lib/studio/depth-story.ts';
import { model, SMALL } from './helpers.ts';

describe('the depth story on the layer list', () => {
  it('places colours/edges → textures → patterns → parts → objects on MobileNet by receptive field', async () => {
    const m = await model(SMALL);
    const rf = (name: string) => m.layers.find((l) => l.name === name)!;
    expect(stageOf(rf('conv_pw_1_bn'), 224)).toBe('colours and edges');
    expect(stageOf(rf('conv_pw_3_bn'), 224)).toBe('textures');
    expect(stageOf(rf('conv_pw_5_bn'), 224)).toBe('textures');
    expect(stageOf(rf('conv_pw_7_bn'), 224)).toBe('patterns');
    expect(stageOf(rf('conv_pw_9_bn'), 224)).toBe('patterns');
    expect(stageOf(rf('conv_pw_11_bn'), 224)).toBe('parts');
    expect(stageOf(rf('conv_pw_13_bn'), 224)).toBe('objects');
    const starts = stageStarts(storyOf(m.layers, 224));
    // Each stage starts once, in order, and the list never goes back to an earlier stage.
    expect([...starts.values()]).toEqual(['colours and edges', 'textures', 'patterns', 'parts', 'objects']);
  });
});
