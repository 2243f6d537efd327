/**
 * Hand-written SIMD kernels (the .wat files here, compiled into binaries.ts) instantiated against the tfjs wasm
 * backend's own memory, so they read and write tensors where they lie: no copies, pointers are the tensors' heap
 * offsets. tfjs's threaded build keeps its memory in `Module.wasmMemory` (shared), the single-threaded SIMD build in
 * `Module.asm.memory`; the kernel variant is picked to match. Anything unexpected (no SIMD, an unknown build, a memory
 * that cannot be found) answers null and the caller keeps its tfjs-op formulation.
 */
import { SIMD_KERNELS } from './binaries.ts';

interface EmscriptenModule {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
}
interface WasmBackendLike {
  wasm: EmscriptenModule;
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
}

const cache = new WeakMap<object, Map<string, WebAssembly.Exports | null>>();

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function memoryOf(backend: WasmBackendLike): WebAssembly.Memory | null {
  const m = backend.wasm?.wasmMemory ?? backend.wasm?.asm?.memory;
  return m instanceof WebAssembly.Memory ? m : null;
}

function instantiate(backend: WasmBackendLike, id: string): WebAssembly.Exports | null {
  const memory = memoryOf(backend);
  const binary = SIMD_KERNELS[id];
  if (!memory || !binary) return null;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  try {
    const module = new WebAssembly.Module(decode(shared ? binary.shared : binary.unshared));
    return new WebAssembly.Instance(module, { env: { memory } }).exports;
  } catch {
    return null;
  }
}

/** The exports of SIMD kernel `id` bound to this wasm backend's memory, or null where it cannot run. */
export function heapKernel(backend: unknown, id: string): WebAssembly.Exports | null {
  const b = backend as WasmBackendLike;
  let perBackend = cache.get(b);
  if (!perBackend) cache.set(b, (perBackend = new Map()));
  if (!perBackend.has(id)) perBackend.set(id, instantiate(b, id));
  return perBackend.get(id) ?? null;
}

/** A tensor's byte offset in the wasm heap. */
export function heapOffset(backend: unknown, dataId: object): number {
  const data = (backend as WasmBackendLike).dataIdMap.get(dataId);
  if (!data) throw new Error('heapOffset: tensor not on this wasm backend');
  return data.memoryOffset;
}
