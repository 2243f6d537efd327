/**
 * Which nodes compute only some channels. The objective reads a few channels of a layer; if nothing else reads that
 * layer, it needs only those channels, and so does each node below it that maps channel c to channel c (a depthwise
 * conv, a ReLU) and that nothing else reads — down to a conv, which computes those channels from its whole input
 * with the same slice of its weights. For MobileNet's depthwise layer conv_dw_6_bn: the depthwise conv, the ReLU6
 * before it and the pointwise conv before that (192 of 192 channels → 8 at batch 8) all shrink.
 */
import type { SliceCache } from './slice-cache.ts';
import type { NetNode } from './network.ts';

export interface PartialPlan {
  /** Every node computed in part, with the channels it computes (in that order on its last axis). */
  channels: Map<string, number[]>;
  /** The asked-for layers among them. */
  targets: Map<string, number[]>;
}

const channelwise = (n: NetNode, cache: SliceCache | undefined) =>
  n.clipCap !== undefined || (n.runChannelwise !== undefined && cache !== undefined);

/**
 * The nodes below each target of `wanted` that can compute only its channels: the chain from the target down to a
 * conv, or nothing for that target where the chain meets a node that cannot (or that something else reads).
 */
export function partialPlan(
  wanted: Record<string, number[]>,
  targets: string[],
  byName: Map<string, NetNode>,
  readers: Map<string, number>,
  inputName: string,
  cache: SliceCache | undefined,
): PartialPlan {
  const plan: PartialPlan = { channels: new Map(), targets: new Map() };
  for (const [target, list] of Object.entries(wanted)) {
    if (!targets.includes(target) || readers.has(target)) continue;
    const chain: string[] = [];
    let node = byName.get(target);
    while (node) {
      chain.push(node.name);
      if (node.runChannels) break;
      const below = node.inputs.length === 1 ? byName.get(node.inputs[0]) : undefined;
      const ok =
        channelwise(node, cache) &&
        below !== undefined &&
        below.name !== inputName &&
        readers.get(below.name) === 1 &&
        !targets.includes(below.name);
      node = ok ? below : undefined;
    }
    if (!node) continue;
    for (const name of chain) plan.channels.set(name, list);
    plan.targets.set(target, list);
  }
  return plan;
}

/** Runs one node of the plan: a conv from its whole input, the rest from their inputs' same channels. */
export function runPartial(
  node: NetNode,
  inputs: Parameters<NetNode['run']>[0],
  list: number[],
  redirect: boolean,
  cache: SliceCache | undefined,
) {
  if (node.runChannels) return node.runChannels(inputs, list, redirect, cache);
  if (node.runChannelwise && cache) return node.runChannelwise(inputs, list, redirect, cache);
  return node.run(inputs, redirect); // an activation: channel by channel as it is
}
