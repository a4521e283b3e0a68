/**
 * The client's handle on a virtual worker (PySyft's VirtualWorker). The worker
 * itself is an actor on a host (a worker thread); this handle is where remote
 * handles send their commands (it implements src/core/handles.ts' Location),
 * plus what users ask of a worker directly.
 */
import { inspect } from 'node:util';
import { InvalidArgumentError, PySyftNameError } from '../core/errors.js';
import type { Location } from '../core/handles.js';
import { PYSYFT_FUNCTIONS } from '../core/pysyft-names.js';
import type { ActorAddress, Command, ObjectSummary, PrivacyPolicySpec, PrivacyReport, ReplyOf, StatsReply } from '../core/protocol.js';
import type { EventBus } from './event-bus.js';
import type { HostConnection } from './host-connection.js';
import type { LocalWorker } from './local-worker.js';

export class VirtualWorker implements Location {
  readonly #id: string;
  readonly #address: ActorAddress;
  readonly #host: HostConnection;
  readonly #owner: LocalWorker;
  readonly #bus: EventBus;
  readonly #settleAll: () => Promise<void>;
  /** Tells the hook this worker was sent a command, so its settle() syncs this worker and no idle one. */
  readonly #used: (worker: VirtualWorker) => void;

  /** @internal Made by hook.virtualWorker(). */
  constructor(id: string, host: HostConnection, owner: LocalWorker, bus: EventBus, settleAll: () => Promise<void>, used: (worker: VirtualWorker) => void = () => undefined) {
    // PySyft's `sy.VirtualWorker(hook, id="bob")` passes the hook first; here workers come from hook.virtualWorker(id).
    if (typeof id !== 'string') throw new PySyftNameError(PYSYFT_FUNCTIONS.VirtualWorker.pysyft, PYSYFT_FUNCTIONS.VirtualWorker.syftTs);
    this.#settleAll = settleAll;
    this.#used = used;
    this.#id = id;
    this.#address = { actor: id, thread: host.name };
    this.#host = host;
    this.#owner = owner;
    this.#bus = bus;
  }

  get id(): string {
    return this.#id;
  }

  get owner(): LocalWorker {
    return this.#owner;
  }

  /** False once its thread died or the hook shut down: every call on it then rejects. */
  get isAlive(): boolean {
    return this.#host.isAlive;
  }

  /** @internal Where other workers reach this one. */
  get address(): ActorAddress {
    return this.#address;
  }

  /** @internal The connection to the host this actor lives on. */
  get host(): HostConnection {
    return this.#host;
  }

  /**
   * What the worker holds, by id (PySyft's `bob._objects`), once every command
   * issued before this call has taken effect, also those other workers forward
   * here (a move to bob issued at alice's chain, say).
   */
  async objects(): Promise<Map<number, ObjectSummary>> {
    await this.#settleAll();
    // A look at the store leaves nothing in flight: not through request(), which marks the worker for the next settle().
    const summaries = await this.#host.request(this.#id, { type: 'objects' });
    return new Map(summaries.map((s) => [s.id, s]));
  }

  /**
   * Counts for leak checks, once every command issued before has taken effect:
   * objects held, tensors kept only for a pending backward(), and tfjs tensors
   * alive in the worker's thread.
   */
  async stats(): Promise<StatsReply> {
    await this.#settleAll();
    return this.#host.request(this.#id, { type: 'stats' });
  }

  /**
   * The data owner's privacy policy, enforced at the worker (the caller may be
   * the adversary, so the budget lives there): `budget` caps what DP releases
   * and DP training jobs on its data may spend (PRIVACY_BUDGET_EXCEEDED past
   * it); `denyRawGet` makes what the worker holds now private, refusing the
   * raw get(), move or sharing of it and of anything computed from it
   * (PRIVACY_POLICY). A policy only tightens. Resolves with privacySpent().
   */
  async setPolicy(policy: PrivacyPolicySpec): Promise<PrivacyReport> {
    const budget = policy.budget;
    if (budget !== undefined && !(budget.epsilon > 0 && Number.isFinite(budget.epsilon) && budget.delta >= 0 && budget.delta < 1)) {
      throw new InvalidArgumentError(`setPolicy: the budget needs epsilon > 0 (finite) and delta in [0, 1), got epsilon ${budget.epsilon}, delta ${budget.delta}.`);
    }
    if (policy.denyRawGet !== undefined && typeof policy.denyRawGet !== 'boolean') throw new InvalidArgumentError('setPolicy: denyRawGet must be true or false.');
    await this.#settleAll();
    return this.request({ type: 'set-policy', policy: { ...(budget === undefined ? {} : { budget: { epsilon: budget.epsilon, delta: budget.delta } }), ...(policy.denyRawGet === undefined ? {} : { denyRawGet: policy.denyRawGet }) } });
  }

  /** What DP releases and DP training have spent of this worker's budget: { epsilon, delta, accounting, charges, budget, denyRawGet }. */
  async privacySpent(): Promise<PrivacyReport> {
    await this.#settleAll();
    return this.#host.request(this.#id, { type: 'privacy-spent' });
  }

  /** @internal Resolves when everything this worker forwarded to others has settled. */
  async sync(): Promise<void> {
    // Not through request(): a sync leaves nothing to settle, so it must not mark the worker used.
    await this.#host.request(this.#id, { type: 'sync' });
  }

  /** Deletes everything the worker holds; pointers to those objects dangle. */
  async clearObjects(): Promise<void> {
    await this.request({ type: 'clear' });
  }

  /** @internal */
  post(command: Command, transfer?: readonly ArrayBuffer[]): void {
    this.#used(this);
    this.#host.enqueue(this.#id, command, transfer);
  }

  /** @internal */
  request<C extends Command>(command: C): Promise<ReplyOf<C['type']>> {
    this.#used(this);
    return this.#host.request(this.#id, command);
  }

  /** @internal */
  release(idAtLocation: number): void {
    // A delete may be forwarded along a chain: it too must settle.
    this.#used(this);
    this.#host.scheduleDelete(this.#id, idAtLocation);
  }

  /** @internal Called by the FinalizationRegistry when a handle became unreachable. */
  collect(idAtLocation: number, handleId: number): void {
    this.#owner.forget(handleId);
    this.#bus.emit({ type: 'collected', worker: this.#id, id: idAtLocation, pointer: handleId });
    this.release(idAtLocation);
  }

  toString(): string {
    return `<VirtualWorker id:${this.#id}>`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
