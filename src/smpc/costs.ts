/**
 * What SMPC protocols cost in communication, counted by the caller as it
 * issues each step (the same figures `hook.events$` carries as 'smpc-open' and
 * 'smpc-deal' events, and which every party checks against what it actually
 * sends: see Party.reveal).
 *
 * `await sy.smpc.costs(async () => { ... })` runs the block and reports its
 * opening rounds and bytes, per protocol step. It counts every step issued
 * while the block runs, by any code: two blocks measured at once count each
 * other's steps.
 */
import { dealtWords } from '../core/commands.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { Location } from '../core/handles.js';
import type { DealRequest } from '../core/protocol.js';

/** A deal the block asked for: sy.smpc.preprocess() deals the same ahead of time. */
export interface RecordedDeal {
  readonly provider: { stock(request: DealRequest, parties: readonly Location[], times: number): Promise<void> };
  readonly request: DealRequest;
  readonly parties: readonly Location[];
}

export interface StepCost {
  /** Openings: each is one round of communication among the parties. */
  readonly rounds: number;
  /** Share data sent by all parties to each other. */
  readonly bytes: number;
}

export interface SmpcCosts<R> extends StepCost {
  readonly result: R;
  /** Correlated randomness the crypto provider sent the parties (offline traffic: it never waits on their data). */
  readonly dealerBytes: number;
  /** Per protocol step ('mul', 'matMul', 'truncation', 'comparison', 'open'). */
  readonly steps: Readonly<Record<string, StepCost>>;
  /** Every deal the block asked the crypto provider for, in order (sy.smpc.preprocess takes them). */
  readonly deals: readonly RecordedDeal[];
}

interface Meter {
  rounds: number;
  bytes: number;
  dealerBytes: number;
  steps: Map<string, { rounds: number; bytes: number }>;
  deals: RecordedDeal[];
}

const meters = new Set<Meter>();

/** @internal One opening among `parties`, each sending `words` words to every other. */
export function meterOpening(step: string, parties: number, words: number): void {
  for (const m of meters) {
    const bytes = words * 8 * (parties - 1) * parties;
    m.rounds++;
    m.bytes += bytes;
    const s = m.steps.get(step) ?? { rounds: 0, bytes: 0 };
    s.rounds++;
    s.bytes += bytes;
    m.steps.set(step, s);
  }
}

/** @internal One deal to `parties` (not counted when it came from stock: that was counted when it was dealt). */
export function meterDeal(provider: RecordedDeal['provider'], request: DealRequest, parties: readonly Location[]): void {
  for (const m of meters) {
    m.dealerBytes += dealtWords(request) * 8 * parties.length;
    m.deals.push({ provider, request, parties });
  }
}

export async function costs<R>(block: () => R | Promise<R>): Promise<SmpcCosts<R>> {
  const meter: Meter = { rounds: 0, bytes: 0, dealerBytes: 0, steps: new Map(), deals: [] };
  meters.add(meter);
  try {
    const result = await block();
    return { result, rounds: meter.rounds, bytes: meter.bytes, dealerBytes: meter.dealerBytes, steps: Object.fromEntries(meter.steps), deals: meter.deals };
  } finally {
    meters.delete(meter);
  }
}

/**
 * The offline phase: deals `times` copies of every deal in `deals` (recorded
 * by costs() around one step of the computation) ahead of time, in bulk, on
 * the dealers' pools. Later steps that ask for the same material, among the
 * same parties, take it from this stock in order and never wait on the
 * dealer; what is not consumed stays at the parties until
 * sy.smpc.discardPreprocessed().
 */
export async function preprocess(deals: readonly RecordedDeal[], options: { readonly times: number }): Promise<void> {
  const times = options.times;
  if (!(Number.isSafeInteger(times) && times >= 1)) throw new InvalidArgumentError(`preprocess: times must be a positive whole number, got ${times}.`);
  // Interleaved per copy, so the stock is consumed in the order the steps ask for it.
  const pending: Promise<void>[] = [];
  for (let t = 0; t < times; t++) for (const d of deals) pending.push(d.provider.stock(d.request, d.parties, 1));
  await Promise.all(pending);
}
