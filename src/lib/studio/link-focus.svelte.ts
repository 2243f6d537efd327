/**
 * Shared links, both ways: the image a link points at is rendered with the link's settings (unless the cache has it)
 * and opened once its model is ready; and any card's image gets a link that renders and opens it in another browser
 * (share-link.ts writes and reads the address).
 */
import { jobKey, type InputMapping, type JobSettings, type UserModelInfo } from '../protocol.ts';
import type { Card } from './cards.ts';
import type { LoadedModel } from './lifecycle.ts';
import type { RequestOrigin } from './request-priority.ts';
import { shareLink, type ImageTarget, type LinkModel } from './share-link.ts';

/** A link's model given by URL: opened from there (not kept in the browser). */
export interface LinkModelUrl {
  url: string;
  name: string;
  mapping: InputMapping;
}

export type LinkTarget = ImageTarget & { settings: JobSettings };

export interface LinkFocusHost {
  /** The model picked (its id: a registry id, or "user:<name>"). */
  modelId(): string;
  /** A model kept in this browser, with the URL it was opened from, if any. */
  kept(modelId: string): UserModelInfo | undefined;
  note(kind: 'info' | 'error', text: string): void;
  request(layer: string, channels: number[], why: RequestOrigin, settings: JobSettings): void;
}

export class LinkFocus {
  /** The card the page should open in the detail view (a shared link's image), once; the page clears it. */
  key = $state<string | null>(null);

  constructor(
    private readonly host: LinkFocusHost,
    /** The image the page's link points at; asked for once. */
    private target: LinkTarget | null,
    /** The page's link names its model by URL. */
    readonly modelUrl: LinkModelUrl | null,
  ) {}

  /** The link's image on the model now ready (the one the link named): checked, asked for, and marked to open. */
  open(model: LoadedModel): void {
    const f = this.target;
    if (!f) return;
    this.target = null;
    const layer = model.layers.find((l) => l.name === f.layer);
    if (!layer) return this.host.note('error', `The link's layer ${f.layer} is not in ${model.id}.`);
    // The class band renders class scores whatever objective the link's other settings name.
    const settings: JobSettings = layer.logits ? { ...f.settings, objective: 'logit' } : f.settings;
    if (settings.objective !== 'layer' && f.channel >= layer.shape[2])
      return this.host.note('error', `The link's channel ${f.channel} is out of range for ${f.layer} (0-${layer.shape[2] - 1}).`);
    if (f.variant >= settings.variants)
      return this.host.note('error', `The link's variant ${f.variant} is not one of its ${settings.variants} (variants=).`);
    this.host.request(f.layer, [f.channel], 'clicked', settings);
    this.key = jobKey({ modelId: model.key, layer: f.layer, channel: f.channel, variant: f.variant, settings });
  }

  /** A link that renders and opens this card's image. */
  linkTo(c: Card): string {
    const modelId = this.host.modelId();
    // A person's model opened from a URL is linked by that URL and its range, so the link works in any browser.
    const kept = this.host.kept(modelId);
    const url = this.modelUrl;
    const model: LinkModel = kept?.origin
      ? { url: kept.origin, mapping: { inputRange: kept.inputRange, normalize: kept.normalize } }
      : url && modelId === `user:${url.name}`
        ? { url: url.url, mapping: url.mapping }
        : modelId;
    return shareLink(location.href, model, { layer: c.layer, channel: c.channel, variant: c.variant }, c.settings);
  }
}
