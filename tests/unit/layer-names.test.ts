// Layer names on screen (issue 10, item 9): graph paths lose their shared prefix; a folded batch norm says so.
import { describe, expect, it } from 'vitest';
import { compactNames, displayKind, sharedPath, shortName } from '../../src/lib/studio/layer-names.ts';

describe('layer names on screen', () => {
  const graph = [
    'module_apply_default/MobilenetV1/MobilenetV1/Conv2d_0/BatchNorm/FusedBatchNorm',
    'module_apply_default/MobilenetV1/MobilenetV1/Conv2d_1_depthwise/BatchNorm/FusedBatchNorm',
    'module_apply_default/MobilenetV1/Logits/Conv2d_1c_1x1/BiasAdd',
  ];
  it('drops the path all names share, keeping them distinct', () => {
    const shared = sharedPath(graph);
    expect(shared).toBe('module_apply_default/MobilenetV1/');
    expect(graph.map((n) => shortName(n, shared))).toEqual([
      'MobilenetV1/Conv2d_0/BatchNorm/FusedBatchNorm',
      'MobilenetV1/Conv2d_1_depthwise/BatchNorm/FusedBatchNorm',
      'Logits/Conv2d_1c_1x1/BiasAdd',
    ]);
  });
  it('compact labels keep only what tells the layers apart', () => {
    const names = [
      ...['Conv2d_0', 'Conv2d_1_depthwise', 'Conv2d_1_pointwise', 'Conv2d_2_depthwise'].map(
        (c) => `module_apply_default/MobilenetV1/MobilenetV1/${c}/BatchNorm/FusedBatchNorm`,
      ),
      'module_apply_default/MobilenetV1/Logits/Conv2d_1c_1x1/BiasAdd',
    ];
    const labels = [...compactNames(names).values()];
    expect(labels).toEqual([
      'Conv2d_0',
      'Conv2d_1_depthwise',
      'Conv2d_1_pointwise',
      'Conv2d_2_depthwise',
      'Logits/Conv2d_1c_1x1/BiasAdd',
    ]);
    expect([...compactNames(['conv1_bn', 'conv_pw_1_bn', 'conv_preds']).values()]).toEqual([
      'conv1_bn',
      'conv_pw_1_bn',
      'conv_preds',
    ]);
  });

  it('leaves Keras names alone', () => {
    expect(sharedPath(['conv1_bn', 'conv_pw_1_bn'])).toBe('');
    expect(sharedPath(['a/x', 'a/y'])).toBe('a/');
    expect(sharedPath(['a/x', 'a'])).toBe('');
  });
  it('a batch norm folded into an Add is shown as a batch norm', () => {
    expect(displayKind({ name: graph[0], kind: 'Add' })).toBe('BatchNorm (folded)');
    expect(displayKind({ name: 'add_3', kind: 'Add' })).toBe('Add');
  });
});
