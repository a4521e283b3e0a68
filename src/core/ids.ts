/**
 * Object ids, chosen by the caller so an op can return its result pointer before
 * the worker runs it. Ids look like PySyft's (11-digit integers) but are unique
 * by construction: a random start, then strictly increasing random steps. They
 * are names, not secrets, so Math.random is enough here.
 */
import { randomInt } from 'node:crypto';

export class IdGenerator {
  #next: number;

  constructor(start = randomInt(10_000_000_000, 90_000_000_000)) {
    this.#next = start;
  }

  next(): number {
    this.#next += 1 + Math.floor(Math.random() * 997);
    return this.#next;
  }
}
