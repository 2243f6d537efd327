/**
 * The slices of constant weights that computing some channels of a layer needs (a conv's kernel, bias and backward
 * kernel cut to those channels, a depthwise conv prepared for them), made once per render instead of every step: a
 * fresh kernel each step costs a gather and, on wasm, a new XNNPACK operator (more than the sliced conv itself at
 * batch 1). The render owns the cache and disposes it when it ends; one-off calls go without.
 */
import * as tf from '@tensorflow/tfjs';

export class SliceCache {
  private readonly held = new Map<object, Map<string, unknown>>();
  private readonly owned: tf.Tensor[] = [];

  /** What `make` gives for (source, key), made on first use; tensors it makes are for it to pass to `own`. */
  memo<T>(source: object, key: string, make: () => T): T {
    let bySource = this.held.get(source);
    if (!bySource) this.held.set(source, (bySource = new Map()));
    if (!bySource.has(key)) bySource.set(key, make());
    return bySource.get(key) as T;
  }

  /** The tensor `make` gives for (source, key), made on first use and kept until `dispose`. */
  get<T extends tf.Tensor>(source: object, key: string, make: () => T): T {
    return this.memo(source, key, () => this.own(tf.keep(make())));
  }

  /** Disposed with the cache (a tensor made inside a tidy must also be kept: tf.keep). */
  own<T extends tf.Tensor>(t: T): T {
    this.owned.push(t);
    return t;
  }

  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
    this.held.clear();
  }
}

/** `make()`, or the cache's copy of it. */
export const sliced = <T extends tf.Tensor>(cache: SliceCache | undefined, source: object, key: string, make: () => T): T =>
  cache ? cache.get(source, key, make) : make();

/** The entries `channels` of a per-channel vector (a bias, a batch norm's scale or offset, any shape [1, …, C]). */
export const channelSlice = (cache: SliceCache | undefined, vector: tf.Tensor, channels: number[]): tf.Tensor =>
  sliced(cache, vector, `channels ${channels}`, () => tf.gather(vector.reshape([-1]), channels));
