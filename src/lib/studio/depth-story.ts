/**
 * The founding text's depth story — colours and edges → textures → patterns → parts → objects — placed on a network's
 * layers by how much of the image each unit sees (its receptive field over the input side). The thresholds come from
 * looking at MobileNet v1 α0.75's renders (docs/contact-sheet.jpg), whose units see (of 224 px): conv_pw_1 7 px —
 * colour blotches; conv_pw_3 19 px — gratings and fine textures; conv_pw_5 43 px — woven textures; conv_pw_7 91 px
 * and conv_pw_9 155 px — repeating patterns with eyes and scales; conv_pw_11 219 px — fur, faces and other parts;
 * conv_pw_13 315 px and the classes — whole objects.
 */
import type { LayerInfo } from '../engine/model.ts';

export const STAGES = ['colours and edges', 'textures', 'patterns', 'parts', 'objects'] as const;
export type Stage = (typeof STAGES)[number];

/** What a unit of this layer sees, as a fraction of the input's side, decides its stage. */
export function stageOf(layer: Pick<LayerInfo, 'receptiveField' | 'logits'>, inputSide: number): Stage {
  if (layer.logits) return 'objects';
  const f = layer.receptiveField / inputSide;
  if (f <= 0.06) return 'colours and edges';
  if (f <= 0.25) return 'textures';
  if (f <= 0.85) return 'patterns';
  if (f <= 1.2) return 'parts';
  return 'objects';
}

/**
 * For a list of layers in depth order: each layer's stage, never going back to an earlier one (a global pool sees the
 * whole input, 1×, after layers that see more than it).
 */
export function storyOf(layers: Pick<LayerInfo, 'name' | 'receptiveField' | 'logits'>[], inputSide: number): Map<string, Stage> {
  const out = new Map<string, Stage>();
  let reached = 0;
  for (const l of layers) {
    reached = Math.max(reached, STAGES.indexOf(stageOf(l, inputSide)));
    out.set(l.name, STAGES[reached]);
  }
  return out;
}

/** The layers where a story (storyOf) moves on to a new stage, with that stage. */
export function stageStarts(story: Map<string, Stage>): Map<string, Stage> {
  let last: Stage | null = null;
  const out = new Map<string, Stage>();
  for (const [name, stage] of story) {
    if (stage !== last) out.set(name, stage);
    last = stage;
  }
  return out;
}
