import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { evaluate, imageFromRgba, render, RenderCancelled } from '../../src/lib/engine/render.ts';
import { renderVis } from '../../src/lib/engine/render-vis.ts';
import { Adam } from '../../src/lib/engine/adam.ts';
import { createParam } from '../../src/lib/engine/param.ts';
import * as obj from '../../src/lib/engine/objectives.ts';
import { encodePng } from '../../src/lib/export/png.ts';
import { model, photos, SMALL } from './helpers.ts';

const fromRgba = (rgba: Uint8Array, size: number) => imageFromRgba(rgba, size, size);

/** Random crops (7/8 of the side, at random offsets) of one image, as a batch. */
function randomCrops(img: tf.Tensor4D, n: number, seed: number): tf.Tensor4D {
  const size = img.shape[1];
  const side = Math.round((size * 7) / 8);
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  return tf.tidy(() =>
    tf.concat(
      Array.from({ length: n }, () => {
        const y = Math.floor(rand() * (size - side + 1));
        const x = Math.floor(rand() * (size - side + 1));
        return img.slice([0, y, x, 0], [1, side, side, 3]);
      }),
    ),
  ) as tf.Tensor4D;
}

describe('feature visualizations activate their channels (MobileNet v1 α0.25, 128 px, 256 steps)', () => {
  const channels = [0, 1, 2, 3];
  const results: Record<string, { vis: number[]; photo: number[]; crops: number[][]; flips: number[] }> = {};

  for (const layer of ['conv_pw_3_bn', 'conv_pw_7_bn', 'conv_pw_11_bn']) {
    it(`renders channels ${channels.join(',')} of ${layer}`, async () => {
      const m = await model(SMALL);
      const r = await render(
        m,
        { layer, steps: 256, size: 128 },
        channels.map((index) => ({ index })),
      );
      const ph = await photos(128);
      const res = { vis: [] as number[], photo: [] as number[], crops: [] as number[][], flips: [] as number[] };
      channels.forEach((c, i) => {
        const img = fromRgba(r.final.images[i], 128);
        res.vis.push(evaluate(m, img, 'channel', layer, [c])[0]);
        res.photo.push(Math.max(...evaluate(m, ph, 'channel', layer, [c, c, c])));
        const crops = randomCrops(img, 4, 17 + c);
        res.crops.push(evaluate(m, crops, 'channel', layer, [c, c, c, c]));
        const flipped = tf.reverse(img, 2) as tf.Tensor4D;
        res.flips.push(evaluate(m, flipped, 'channel', layer, [c])[0]);
        tf.dispose([img, crops, flipped]);
      });
      ph.dispose();
      results[layer] = res;
      // Beats every photo, and survives random crops.
      res.vis.forEach((v, i) => {
        expect(v, `${layer}:${channels[i]} vs photos`).toBeGreaterThan(res.photo[i]);
        for (const cv of res.crops[i]) expect(cv, `${layer}:${channels[i]} cropped`).toBeGreaterThanOrEqual(0.5 * v);
      });
    });
  }

  it('mid and late layers reach at least twice the best photo, and flips keep half in most channels', () => {
    for (const layer of ['conv_pw_7_bn', 'conv_pw_11_bn']) {
      const r = results[layer];
      expect(r, `${layer} was rendered`).toBeDefined();
      // Twice a negative best photo is no bar: the image must also give the channel a positive mean.
      r.vis.forEach((v, i) => expect(v, `${layer}:${channels[i]}`).toBeGreaterThanOrEqual(2 * Math.max(r.photo[i], 0)));
      r.vis.forEach((v) => expect(v).toBeGreaterThan(0));
    }
    for (const [layer, r] of Object.entries(results)) {
      // Orientation- or handedness-selective units legitimately lose under a mirror image, so at most one of four.
      const kept = r.flips.filter((f, i) => f >= 0.5 * r.vis[i]).length;
      expect(kept, `${layer} flips ${r.flips.map((f, i) => (f / r.vis[i]).toFixed(2)).join(' ')}`).toBeGreaterThanOrEqual(3);
    }
  });
});

describe('render loop', () => {
  it('is deterministic: the same seed gives byte-identical PNGs, another seed a different one', async () => {
    const m = await model(SMALL);
    const run = async (seed: number) => {
      const r = await render(m, { layer: 'conv_pw_5_bn', steps: 24, size: 48, seed }, [{ index: 3 }]);
      return encodePng(r.final.images[0], r.final.width, r.final.height);
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it('runs 1000 steps without tensor growth', async () => {
    const m = await model(SMALL);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const r = await render(
      m,
      { layer: 'conv_pw_2_bn', steps: 1000, size: 32, thresholds: [100, 200, 300, 400, 500, 600, 700, 800, 900] },
      [{ index: 1 }, { index: 2 }],
      { onSnapshot: () => counts.push(tf.memory().numTensors) },
    );
    expect(r.final.step).toBe(1000);
    expect(counts.length).toBe(10);
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('streams snapshots at the thresholds and can be cancelled', async () => {
    const m = await model(SMALL);
    const steps: number[] = [];
    const r = await render(m, { layer: 'conv_pw_4_bn', steps: 40, size: 32, thresholds: [10, 20] }, [{ index: 0 }], {
      onSnapshot: (s) => {
        steps.push(s.step);
        expect(s.images[0].length).toBe(32 * 32 * 4);
      },
    });
    expect(steps).toEqual([10, 20, 40]);
    expect(r.cleanValues).toHaveLength(1);
    const before = tf.memory().numTensors;
    // A pointwise and a depthwise target (both computed for their channel alone, from weights sliced for the render):
    // a cancelled render lets its slices go too.
    for (const layer of ['conv_pw_4_bn', 'conv_dw_4_bn']) {
      const ctrl = new AbortController();
      const p = render(m, { layer, steps: 500, size: 32, thresholds: [5] }, [{ index: 0 }], {
        signal: ctrl.signal,
        onSnapshot: () => ctrl.abort(),
      });
      await expect(p).rejects.toBeInstanceOf(RenderCancelled);
      expect(tf.memory().numTensors, layer).toBe(before);
    }
  });

  it('rejects out-of-range channels and unknown layers with a clear message', async () => {
    const m = await model(SMALL);
    await expect(render(m, { layer: 'conv_pw_3_bn' }, [{ index: 32 }])).rejects.toThrow(/channel 32 is out of range.*0-31/);
    await expect(render(m, { layer: 'nope' }, [{ index: 0 }])).rejects.toThrow(/unknown layer "nope"/);
  });

  it('renders a class logit', async () => {
    const m = await model(SMALL);
    const r = await render(m, { objective: 'logit', steps: 30, size: 64 }, [{ index: 281 }]);
    const img = fromRgba(r.final.images[0], 64);
    const start = evaluate(m, tf.fill([1, 64, 64, 3], 0.5) as tf.Tensor4D, 'logit', '', [281])[0];
    expect(evaluate(m, img, 'logit', '', [281])[0]).toBeGreaterThan(start + 1);
    img.dispose();
  });
});

describe('other objectives', () => {
  it('neuron and layer (DeepDream) objectives raise their own value above a grey image', async () => {
    const m = await model(SMALL);
    const grey = tf.fill([1, 48, 48, 3], 0.5) as tf.Tensor4D;
    for (const objective of ['neuron', 'layer'] as const) {
      const r = await render(m, { layer: 'conv_pw_5_bn', objective, steps: 40, size: 48 }, [{ index: 4 }]);
      const img = fromRgba(r.final.images[0], 48);
      const after = evaluate(m, img, objective, 'conv_pw_5_bn', [4])[0];
      const before = evaluate(m, grey, objective, 'conv_pw_5_bn', [4])[0];
      expect(after, objective).toBeGreaterThan(before + 0.5);
      img.dispose();
    }
    grey.dispose();
  });

  it('diversity pushes variants of one channel apart', async () => {
    const m = await model(SMALL);
    const targets = [0, 1, 2].map((variant) => ({ index: 5, variant }));
    const similarity = async (diversity: number) => {
      const r = await render(m, { layer: 'conv_pw_5_bn', steps: 60, size: 48, diversity }, targets);
      return tf.tidy(() => {
        const imgs = tf.concat(r.final.images.map((a) => fromRgba(a, 48)));
        const acts = m.forward(imgs as tf.Tensor4D, ['conv_pw_5_bn']).get('conv_pw_5_bn')!;
        // The engine's own diversity term is −mean similarity / batch; report the mean similarity.
        const [b, h, w, c] = acts.shape;
        const flat = acts.reshape([b, h * w, c]) as tf.Tensor3D;
        const grams = tf.matMul(flat, flat, true, false).reshape([b, c * c]);
        const unit = tf.div(grams, tf.norm(grams, 2, 1, true));
        const sim = tf.matMul(unit, unit, false, true);
        return (tf.sum(sim).dataSync()[0] - b) / (b * (b - 1));
      });
    };
    const plain = await similarity(0);
    const diverse = await similarity(200);
    expect(diverse).toBeLessThan(plain - 0.02);
  });

  it('diversity acts among the variants of one channel only: another channel in the batch does not change an image', async () => {
    const m = await model(SMALL);
    const settings = { layer: 'conv_pw_5_bn', steps: 24, size: 48, diversity: 200 };
    const pair = [0, 1].map((variant) => ({ index: 5, variant }));
    const alone = await render(m, settings, pair);
    // The same two variants batched with another channel's render (as the studio's queue batches jobs of one layer and
    // settings): their images are those rendered without it, up to floating-point summation order.
    const mixed = await render(m, settings, [...pair, { index: 9, variant: 0 }]);
    const single = await render(m, { ...settings, diversity: 0 }, [{ index: 9, variant: 0 }]);
    const diff = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
    for (const i of [0, 1]) expect(diff(mixed.final.images[i], alone.final.images[i])).toBeLessThan(0.5);
    // A channel with no variant beside it gets no diversity term: as rendered with none.
    expect(diff(mixed.final.images[2], single.final.images[0])).toBeLessThan(0.5);
    // …while the pair itself is pushed apart (not the images of diversity 0).
    const none = await render(m, { ...settings, diversity: 0 }, pair);
    expect(diff(alone.final.images[0], none.final.images[0])).toBeGreaterThan(2);
  });
});

describe('the loop takes its parts (as Lucid’s render_vis does)', () => {
  it('a hand-built objective — one channel minus another — a pixel param, no transforms, and Adam: the difference grows', async () => {
    const m = await model(SMALL);
    const before = tf.memory().numTensors;
    const objective = obj.sum(obj.channel('conv_pw_3_bn', [3]), obj.neg(obj.channel('conv_pw_3_bn', [5])));
    const param = createParam({ kind: 'pixel', height: 48, width: 48, seeds: [7], decayPower: 1, decorrelate: true, planes: 3 });
    const optimizer = new Adam(param.variable, { lr: 0.05, lrEnd: null, steps: 24 });
    try {
      const r = await renderVis(
        { model: m, objective, param, optimizer, transform: null, steps: 24, redirectSteps: 0, thresholds: [1] },
        { curveEvery: 1 },
      );
      expect(r.curve[0].step).toBe(1);
      expect(r.cleanValues[0]).toBeGreaterThan(r.curve[0].values[0] + 1);
      const img = fromRgba(r.final.images[0], 48);
      const [a, b] = [3, 5].map((c) => evaluate(m, img, 'channel', 'conv_pw_3_bn', [c])[0]);
      img.dispose();
      expect(a - b).toBeCloseTo(r.cleanValues[0], 0);
    } finally {
      param.dispose();
      optimizer.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a step that throws (in its forward pass, its backward pass, or the update) leaves no tensor behind', async () => {
    const m = await model(SMALL);
    for (const where of ['forward', 'backward', 'update'] as const) {
      const before = tf.memory().numTensors;
      const param = createParam({ kind: 'fourier', height: 48, width: 48, seeds: [3] });
      const optimizer = new Adam(param.variable, { lr: 0.05, lrEnd: null, steps: 8 });
      let step = 0;
      // A transform that fails on the third step, as a kernel failing mid-pass would.
      const failing = (x: tf.Tensor4D) =>
        tf.customGrad((...args: unknown[]) => {
          if (where === 'forward' && step === 3) throw new Error(`failed in the ${where} pass`);
          const gradFunc = (dy: tf.Tensor) => {
            if (where === 'backward' && step === 3) throw new Error(`failed in the ${where} pass`);
            return tf.mul(dy, 1);
          };
          return { value: tf.mul(args[0] as tf.Tensor, 1), gradFunc };
        })(x) as tf.Tensor4D;
      if (where === 'update') {
        const ascend = optimizer.ascend.bind(optimizer);
        optimizer.ascend = (v, g, s) =>
          s === 3
            ? (() => {
                throw new Error('failed in the update');
              })()
            : ascend(v, g, s);
      }
      const parts = { model: m, objective: obj.channel('conv_pw_3_bn', [2]), param, optimizer, steps: 8, redirectSteps: 4 };
      await expect(
        renderVis({ ...parts, transform: (x) => (step++, failing(x)), thresholds: [2, 3] }, { curveEvery: 1 }),
      ).rejects.toThrow(/failed in the/);
      param.dispose();
      optimizer.dispose();
      expect(tf.memory().numTensors, where).toBe(before);
    }
    // And the engine still renders afterwards.
    const r = await render(m, { layer: 'conv_pw_3_bn', size: 32, steps: 4 }, [{ index: 1 }]);
    expect(r.cleanValues[0]).toBeGreaterThan(0);
  });
});

describe('composed objectives (issue 10)', () => {
  it('typed composition: compose(a).minus(b).times(k) scores k·(a − b)', async () => {
    const m = await model(SMALL);
    const ph = await photos(64);
    const [a, b] = [3, 5].map((c) => evaluate(m, ph, 'channel', 'conv_pw_3_bn', [c, c, c]));
    const expr = obj
      .compose(obj.channel('conv_pw_3_bn', [3, 3, 3]))
      .minus(obj.channel('conv_pw_3_bn', [5, 5, 5]))
      .times(0.5);
    const got = tf.tidy(() => Array.from(expr.score({ acts: m.forward(ph, expr.layers), image: ph }).dataSync()));
    got.forEach((v, i) => expect(v).toBeCloseTo(0.5 * (a[i] - b[i]), 4));
    ph.dispose();
  });

  it('an interpolation strip renders in one batch, each image leaning further towards the second channel', async () => {
    const m = await model(SMALL);
    const layer = 'conv_pw_5_bn';
    const ts = [0, 0.25, 0.5, 0.75, 1];
    const r = await render(
      m,
      { layer, steps: 48, size: 48 },
      ts.map((t) => ({
        index: 2,
        terms: [
          { index: 2, weight: 1 - t },
          { index: 9, weight: t },
        ],
      })),
    );
    expect(r.final.images).toHaveLength(5);
    const lean = r.final.images.map((img) => {
      const x = fromRgba(img, 48);
      const [a, b] = [2, 9].map((c) => evaluate(m, x, 'channel', layer, [c])[0]);
      x.dispose();
      return b - a;
    });
    // The far ends differ in the direction of their channel.
    expect(lean[4]).toBeGreaterThan(lean[0]);
  });

  it('a neuron at a clicked position is that unit: its activation at that place beats the centre’s', async () => {
    const m = await model(SMALL);
    const layer = 'conv_pw_5_bn';
    const r = await render(m, { layer, steps: 48, size: 64, objective: 'neuron' }, [{ index: 4, position: [0.1, 0.8] }]);
    const x = fromRgba(r.final.images[0], 64);
    const [corner, centre] = tf.tidy(() => {
      const a = m.forward(x, [layer]).get(layer)! as tf.Tensor4D;
      const [, h, w] = a.shape;
      const at = (y: number, xx: number) => a.slice([0, y, xx, 4], [1, 1, 1, 1]).dataSync()[0];
      return [at(Math.floor(0.1 * h), Math.floor(0.8 * w)), at(Math.floor(h / 2), Math.floor(w / 2))];
    });
    x.dispose();
    expect(corner).toBeGreaterThan(centre);
    // The clean value is on the float image; `corner` on its 8-bit export.
    expect(r.cleanValues[0]).toBeCloseTo(corner, 1);
  });
});
