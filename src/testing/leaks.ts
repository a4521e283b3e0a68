/**
 * Leak checks for tests: every object a worker holds must be reachable from a
 * live pointer (directly or along a chain of links), and every live pointer and
 * link must have its object. Pointers that became unreachable
 * count as released only once collection ran; `collectGarbage()` forces that
 * when node runs with --expose-gc.
 */
import type { Observable, Subscription } from 'rxjs';
import { SyftError } from '../core/errors.js';
import type { LifecycleEvent } from '../client/event-bus.js';
import type { Hook } from '../client/hook.js';
import type { VirtualWorker } from '../client/virtual-worker.js';

export interface Leak {
  readonly worker: string;
  readonly id: number;
  /**
   * orphan: held by the worker with no live pointer or chain link reaching it;
   * dangling: a live pointer or link whose object is gone.
   */
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
  // Read every worker: a chain link at one worker keeps an object at another alive.
  // A dead worker's objects are gone with it: pointers to them are not leaks.
  const all = [...hook.workers.values()].filter((w) => w.isAlive);
  const held = new Map(await Promise.all(all.map(async (w) => [w.id, await w.objects()] as const)));
  const reachable = new Map<string, Set<number>>(all.map((w) => [w.id, new Set<number>()]));
  const leaks: Leak[] = [];
  const mark = (worker: string, id: number): void => {
    const seen = reachable.get(worker);
    if (seen === undefined || seen.has(id)) return;
    seen.add(id);
    const entry = held.get(worker)?.get(id);
    if (entry === undefined) leaks.push({ worker, id, kind: 'dangling' });
    else if (entry.kind === 'pointer') mark(entry.location, entry.idAtLocation);
  };
  for (const p of hook.localWorker.livePointers()) mark(p.location, p.idAtLocation);
  for (const [worker, objects] of held) {
    for (const id of objects.keys()) if (!reachable.get(worker)!.has(id)) leaks.push({ worker, id, kind: 'orphan' });
  }
  const only = options.workers === undefined ? undefined : new Set(options.workers.map((w) => w.id));
  return only === undefined ? leaks : leaks.filter((l) => only.has(l.worker));
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
