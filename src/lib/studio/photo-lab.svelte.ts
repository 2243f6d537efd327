/**
 * The photo lab's state in the studio: the last convolution and the last adversarial example the worker sent back,
 * what is being worked on, and the error of the last request. Requests carry a number: a reply to an older request
 * (the person changed the kernel again meanwhile) is dropped.
 */
import type { AttackResult } from '../engine/adversarial.ts';
import type { CheckImage, ConvolvedLab, FromWorker, ToWorker } from '../protocol.ts';

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

export class PhotoLab {
  conv = $state<ConvolvedLab | null>(null);
  /** What `conv` was computed with (the kernel, stride and padding being edited may already differ). */
  convRequest = $state<ConvRequest | null>(null);
  attack = $state<AttackResult | null>(null);
  /** What `attack` was asked for with: the model on screen then, the photo, ε and target (the controls may differ now). */
  attackAsked = $state<AttackAsked | null>(null);
  busy = $state<'convolve' | 'attack' | null>(null);
  error = $state<string | null>(null);
  private req = 0;
  private sent: ConvRequest | null = null;
  private asked: AttackAsked | null = null;

  constructor(private readonly send: (m: ToWorker) => void) {}

  convolve(photo: CheckImage, kernel: number[] | 'magnitude', stride: number, padding: 'same' | 'valid'): void {
    this.busy = 'convolve';
    this.error = null;
    this.sent = { kernel, stride, padding };
    this.send({ type: 'convolve', req: ++this.req, photo, kernel, stride, padding });
  }

  /** An adversarial example of `photo` for `model` (the model on screen: the worker's messages run in order). */
  runAttack(photo: CheckImage, epsilon: number, steps: number, target: number | null, model: string): void {
    this.busy = 'attack';
    this.error = null;
    this.attack = null;
    this.asked = { model, photo: photo.name, epsilon, target };
    this.send({ type: 'attack', req: ++this.req, photo, epsilon, steps, target });
  }

  /** A fresh worker knows nothing of a request in flight: say so rather than wait forever. */
  workerRestarted(): void {
    if (!this.busy) return;
    this.busy = null;
    this.error = 'the worker restarted before it answered; try again';
  }

  /** Takes the lab's replies; false for any other message. */
  handle(m: FromWorker): boolean {
    if (m.type !== 'convolved' && m.type !== 'attacked' && m.type !== 'lab-error') return false;
    if (m.req !== this.req) return true;
    this.busy = null;
    if (m.type === 'convolved') {
      this.conv = m.lab;
      this.convRequest = this.sent;
    } else if (m.type === 'attacked') {
      this.attack = m.result;
      this.attackAsked = this.asked;
    } else this.error = m.message;
    return true;
  }
}
