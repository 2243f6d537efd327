/**
 * A tensor's values on the CPU, the way each backend reads them safely. Synchronous on WebGL: on a lost context an
 * asynchronous read never settles (the worker would hang), where a synchronous one returns zeros and the next check of
 * the context reports the loss. Asynchronous on WebGPU, whose synchronous read goes through a canvas: on SwiftShader
 * it destroyed the device, or returned zeros.
 */
import * as tf from '@tensorflow/tfjs';

export async function readBack(t: tf.Tensor): Promise<tf.TypedArray> {
  return tf.getBackend() === 'webgpu' ? ((await t.data()) as tf.TypedArray) : (t.dataSync() as tf.TypedArray);
}
