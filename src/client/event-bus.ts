/** The client's event bus: every lifecycle event (src/core/events.ts) on one RxJS stream. */
import { Observable, Subject } from 'rxjs';
import type { LifecycleEvent } from '../core/events.js';

export type { LifecycleEvent, LifecycleEventType } from '../core/events.js';

export class EventBus {
  readonly #subject = new Subject<LifecycleEvent>();
  readonly events$: Observable<LifecycleEvent> = this.#subject.asObservable();

  /** Whether anyone listens: callers skip building events nobody would see. */
  get observed(): boolean {
    return this.#subject.observed;
  }

  emit(event: LifecycleEvent): void {
    if (this.#subject.observed) this.#subject.next(event);
  }

  complete(): void {
    this.#subject.complete();
  }
}
