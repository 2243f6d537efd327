import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SETTINGS } from '../../src/lib/protocol.ts';
import { allLayersFromParams, pageUrl } from '../../src/lib/studio/page-url.ts';

const BASE = 'http://127.0.0.1:4173/';

describe("the page's address", () => {
  it('follows the settings on screen: those that differ from the defaults, the others dropped', () => {
    const href = `${BASE}?model=mobilenet_v1_0.25_224&steps=64&size=96&auto=0`;
    const next = new URL(pageUrl(href, 'mobilenet_v1_0.25_224', { ...DEFAULT_JOB_SETTINGS, size: 64, transforms: false }));
    expect(next.searchParams.get('size')).toBe('64');
    expect(next.searchParams.get('transforms')).toBe('0');
    // 160 steps is the default again: no parameter.
    expect(next.searchParams.has('steps')).toBe(false);
    expect(next.searchParams.get('auto')).toBe('0');
  });

  it('names the model shown when the address names one, and drops a URL model’s range with it', () => {
    const linked = `${BASE}?model=https://models.example.org/net/model.json&range=-1,1&mean=0.5,0.5,0.5&std=0.5,0.5,0.5`;
    const next = new URL(pageUrl(linked, 'mobilenet_v1_0.75_224', DEFAULT_JOB_SETTINGS));
    expect(next.searchParams.get('model')).toBe('mobilenet_v1_0.75_224');
    expect(['range', 'mean', 'std'].filter((k) => next.searchParams.has(k))).toEqual([]);
    // The same URL model still on screen (it has no name to give): the address keeps it and its range.
    expect(pageUrl(linked, null, DEFAULT_JOB_SETTINGS)).toBe(linked);
    // No model in the address: the last model used opens next time, none is added.
    expect(new URL(pageUrl(BASE, 'mobilenet_v1_0.75_224', DEFAULT_JOB_SETTINGS)).searchParams.has('model')).toBe(false);
  });

  it('follows the backend picked in the header when the address names one, and adds none otherwise', () => {
    const href = `${BASE}?model=mobilenet_v1_0.25_224&backend=webgl&auto=0`;
    expect(new URL(pageUrl(href, null, DEFAULT_JOB_SETTINGS, 'wasm')).searchParams.get('backend')).toBe('wasm');
    expect(new URL(pageUrl(href, null, DEFAULT_JOB_SETTINGS, 'auto')).searchParams.has('backend')).toBe(false);
    expect(pageUrl(href, null, DEFAULT_JOB_SETTINGS, 'webgl')).toBe(href);
    // Without backend= in the address the browser remembers the choice (studio.svelte.ts): none is added.
    expect(new URL(pageUrl(BASE, null, DEFAULT_JOB_SETTINGS, 'wasm')).searchParams.has('backend')).toBe(false);
  });

  it('keeps the gallery showing every layer across a reload (all=1), and drops it when the view goes back', () => {
    const all = new URL(pageUrl(`${BASE}?size=64`, null, { ...DEFAULT_JOB_SETTINGS, size: 64 }, null, true));
    expect(all.searchParams.get('all')).toBe('1');
    expect(allLayersFromParams(all.searchParams)).toBe(true);
    const main = new URL(pageUrl(all.href, null, { ...DEFAULT_JOB_SETTINGS, size: 64 }, null, false));
    expect(main.searchParams.has('all')).toBe(false);
    expect(allLayersFromParams(main.searchParams)).toBe(false);
    expect(main.searchParams.get('size')).toBe('64');
  });

  it("leaves a shared image's link whole", () => {
    const link = `${BASE}?model=mobilenet_v1_0.25_224&layer=conv_pw_3_bn&channel=5&objective=logit&size=64&steps=24`;
    expect(pageUrl(link, 'mobilenet_v1_0.75_224', DEFAULT_JOB_SETTINGS)).toBe(link);
  });
});
