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

/** The two kinds of work the lab asks for; each has its own request in flight and its own error. */
export type LabWork = 'convolve' | 'attack';

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
  busy = $state<Record<LabWork, boolean>>({ convolve: false, attack: false });
  error = $state<Record<LabWork, string | null>>({ convolve: null, attack: null });
  private req = 0;
  /** The latest request of each kind: a reply to an older one of its kind (the kernel edited again since) is dropped. */
  private latest: Record<LabWork, number> = { convolve: 0, attack: 0 };
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

  /** A fresh worker knows nothing of a request in flight: say so rather than wait forever. */
  workerRestarted(): void {
    for (const work of ['convolve', 'attack'] as const) {
      if (!this.busy[work]) continue;
      this.busy[work] = false;
      this.error[work] = 'the worker restarted before it answered; try again';
    }
  }

  /** Takes the lab's replies; false for any other message. */
  handle(m: FromWorker): boolean {
    if (m.type !== 'convolved' && m.type !== 'attacked' && m.type !== 'lab-error') return false;
    const work: LabWork | undefined =
      m.req === this.latest.convolve ? 'convolve' : m.req === this.latest.attack ? 'attack' : undefined;
    if (!work) return true;
    this.busy[work] = false;
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
