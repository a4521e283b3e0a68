/**
 * Leak checks for tests: every object a worker holds must have a live pointer,
 * and every live pointer must have its object. Pointers that became unreachable
 * count as released only once collection ran; `collectGarbage()` forces that
 * when node runs with --expose-gc.
 */
import type { Observable, Subscription } from 'rxjs';
import { SyftError } from '../errors.js';
import type { LifecycleEvent } from '../runtime/event-bus.js';
import type { Hook } from '../runtime/hook.js';
import type { VirtualWorker } from '../runtime/virtual-worker.js';

export interface Leak {
  readonly worker: string;
  readonly id: number;
  /** orphan: held by the worker with no live pointer; dangling: a live pointer whose object is gone. */
  readonly kind: 'orphan' | 'dangling';
}

export class LeakError extends SyftError {
  readonly leaks: readonly Leak[];
  constructor(leaks: readonly Leak[]) {
    super(
      'LEAKED_OBJECTS',
      `${leaks.length} leaked object(s): ` +
        leaks.slice(0, 10).map((l) => `${l.kind} ${l.worker}:${l.id}`).join(', ') +
        (leaks.length > 10 ? ', …' : ''),
    );
    this.leaks = leaks;
  }
}

const nextTask = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs a full GC (when exposed) and lets finalizers and the deletes they queue run. */
export async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await nextTask();
  }
}

export interface LeakCheckOptions {
  /** Check only these workers (default: every worker of the hook). */
  readonly workers?: readonly VirtualWorker[];
}

export async function findLeaks(hook: Hook, options: LeakCheckOptions = {}): Promise<Leak[]> {
  await nextTask(); // finalizers already scheduled run before we look
  const live = new Map<string, Set<number>>();
  for (const p of hook.localWorker.livePointers()) {
    let ids = live.get(p.location);
    if (ids === undefined) live.set(p.location, (ids = new Set()));
    ids.add(p.idAtLocation);
  }
  const leaks: Leak[] = [];
  for (const worker of options.workers ?? [...hook.workers.values()]) {
    const held = await worker.objects();
    const expected = live.get(worker.id) ?? new Set<number>();
    for (const id of held.keys()) if (!expected.has(id)) leaks.push({ worker: worker.id, id, kind: 'orphan' });
    for (const id of expected) if (!held.has(id)) leaks.push({ worker: worker.id, id, kind: 'dangling' });
  }
  return leaks;
}

/** Throws LeakError listing every orphan and dangling object. */
export async function assertNoLeaks(hook: Hook, options: LeakCheckOptions = {}): Promise<void> {
  const leaks = await findLeaks(hook, options);
  if (leaks.length > 0) throw new LeakError(leaks);
}

/**
 * Rebuilds what each worker holds from the event stream alone, to check that
 * the events tell the truth (and to watch a run without asking the workers).
 */
export class EventLedger {
  readonly #held = new Map<string, Set<number>>();
  readonly #counts = new Map<LifecycleEvent['type'], number>();
  readonly #subscription: Subscription;

  constructor(events$: Observable<LifecycleEvent>) {
    this.#subscription = events$.subscribe((e) => this.#record(e));
  }

  held(worker: string): ReadonlySet<number> {
    return this.#held.get(worker) ?? new Set();
  }

  count(type: LifecycleEvent['type']): number {
    return this.#counts.get(type) ?? 0;
  }

  stop(): void {
    this.#subscription.unsubscribe();
  }

  #record(e: LifecycleEvent): void {
    this.#counts.set(e.type, this.count(e.type) + 1);
    let ids = this.#held.get(e.worker);
    if (ids === undefined) this.#held.set(e.worker, (ids = new Set()));
    if (e.type === 'stored') ids.add(e.id);
    else if (e.type === 'deleted' || e.type === 'fetched') ids.delete(e.id);
  }
}
