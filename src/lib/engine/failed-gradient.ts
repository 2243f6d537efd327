/**
 * What a gradient that threw leaves behind. tfjs records each op of a gradient's forward pass on a tape, with the
 * tensors its backward pass will need kept aside (clones outside every tidy scope); a finished gradient disposes them,
 * but one that throws (a kernel failing mid-pass, a lost GPU context, out of memory) returns without, and the next
 * gradient starts a new tape over them: a failed render step leaked 4 tensors from its forward pass and 20 from its
 * backward (MobileNet α0.25). The engine's tape is public state (`tf.engine().state`); this disposes what is on it.
 */
import * as tf from '@tensorflow/tfjs';

/** Disposes the tensors a failed gradient left on tfjs's tape; does nothing while a gradient is running. */
export function disposeFailedGradientTape(): void {
  const state = tf.engine().state;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null as unknown as typeof state.activeTape;
}
