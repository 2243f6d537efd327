/**
 * The photo lab's state in the studio: the last convolution and the last adversarial example the worker sent back,
 * what is being worked on, and the error of the last request. Requests carry a number: a reply to an older request
 * (the person changed the kernel again meanwhile) is dropped.
 */
import type { AttackResult } from '../engine/adversarial.ts';
import type { CheckImage, ConvolvedLab, FromWorker, InversionSnapshot, ToWorker } from '../protocol.ts';

export interface ConvRequest {
  kernel: number[] | 'magnitude';
  stride: number;
  padding: 'same' | 'valid';
}

export interface AttackAsked {
  model: string;
  photo: string;
  epsilon: number;
  target: number | null;
}

/** The kinds of work the lab asks for; each has its own request in flight and its own error. */
export type LabWork = 'convolve' | 'attack' | 'invert';
const WORK: LabWork[] = ['convolve', 'attack', 'invert'];

/** An inversion as asked for (the model on screen then, the photo, the layers) and its latest snapshot. */
export interface Inversion {
  model: string;
  photo: string;
  /** The photo itself (a sample's name, or the person's file), to show beside the images and export. */
  source: CheckImage;
  layers: string[];
  size: number;
  steps: number;
  snapshot: InversionSnapshot | null;
  /** How it ended before its last step: stopped (by the person, a newer one, another model), or failed. */
  ended: { how: 'stopped' | 'failed'; why: string | null } | null;
}

export class PhotoLab {
  conv = $state<ConvolvedLab | null>(null);
  /** What `conv` was computed with (the kernel, stride and padding being edited may already differ). */
  convRequest = $state<ConvRequest | null>(null);
  attack = $state<AttackResult | null>(null);
  /** What `attack` was asked for with: the model on screen then, the photo, ε and target (the controls may differ now). */
  attackAsked = $state<AttackAsked | null>(null);
  /**
   * Which work waits on the worker. A convolution and an attack are independent: the playground's picture may be asked
   * for (a tab opened, a weight edited) while an attack computes, and neither answer replaces or drops the other.
   */
  busy = $state<Record<LabWork, boolean>>({ convolve: false, attack: false, invert: false });
  error = $state<Record<LabWork, string | null>>({ convolve: null, attack: null, invert: null });
  inversion = $state<Inversion | null>(null);
  private req = 0;
  /** The latest request of each kind: a reply to an older one of its kind (the kernel edited again since) is dropped. */
  private latest: Record<LabWork, number> = { convolve: 0, attack: 0, invert: 0 };
  private sent: ConvRequest | null = null;
  private asked: AttackAsked | null = null;

  constructor(private readonly send: (m: ToWorker) => void) {}

  private ask(work: LabWork): number {
    this.busy[work] = true;
    this.error[work] = null;
    return (this.latest[work] = ++this.req);
  }

  convolve(photo: CheckImage, kernel: number[] | 'magnitude', stride: number, padding: 'same' | 'valid'): void {
    this.sent = { kernel, stride, padding };
    this.send({ type: 'convolve', req: this.ask('convolve'), photo, kernel, stride, padding });
  }

  /** An adversarial example of `photo` for `model` (the model on screen: the worker's messages run in order). */
  runAttack(photo: CheckImage, epsilon: number, steps: number, target: number | null, model: string): void {
    this.attack = null;
    this.asked = { model, photo: photo.name, epsilon, target };
    this.send({ type: 'attack', req: this.ask('attack'), photo, epsilon, steps, target });
  }

  /** What each of `layers` keeps of `photo` on `model` (the model on screen), streamed as it computes. */
  invert(photo: CheckImage, layers: string[], size: number, steps: number, model: string): void {
    this.inversion = { model, photo: photo.name, source: photo, layers, size, steps, snapshot: null, ended: null };
    this.send({ type: 'invert', req: this.ask('invert'), photo, layers, size, steps });
  }

  /** Stops the inversion where it is: its latest images stay, marked as stopped. */
  stopInversion(): void {
    if (!this.busy.invert) return;
    this.send({ type: 'invert-stop' });
    this.latest.invert = ++this.req;
    this.busy.invert = false;
    if (this.inversion) this.inversion.ended = { how: 'stopped', why: null };
  }

  /** A fresh worker knows nothing of a request in flight: say so rather than wait forever. */
  workerRestarted(): void {
    for (const work of WORK) {
      if (!this.busy[work]) continue;
      this.busy[work] = false;
      if (work === 'invert' && this.inversion) this.inversion.ended = { how: 'failed', why: 'the worker restarted' };
      this.error[work] = 'the worker restarted before it answered; try again';
    }
  }

  /** Takes the lab's replies; false for any other message. */
  handle(m: FromWorker): boolean {
    if (m.type !== 'convolved' && m.type !== 'attacked' && m.type !== 'inverted' && m.type !== 'lab-error') return false;
    const work = WORK.find((w) => this.latest[w] === m.req);
    if (!work) return true;
    if (m.type === 'inverted') {
      if (this.inversion) this.inversion.snapshot = m.snapshot;
      if (m.snapshot.done) this.busy.invert = false;
      return true;
    }
    this.busy[work] = false;
    if (m.type === 'lab-error' && work === 'invert' && this.inversion) {
      // A stop is not a failure: it says why beside the images, not as an error.
      this.inversion.ended = { how: m.stopped ? 'stopped' : 'failed', why: m.message };
      if (m.stopped) return true;
    }
    if (m.type === 'convolved') {
      this.conv = m.lab;
      this.convRequest = this.sent;
    } else if (m.type === 'attacked') {
      this.attack = m.result;
      this.attackAsked = this.asked;
    } else this.error[work] = m.message;
    return true;
  }
}
