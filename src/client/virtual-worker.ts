/**
 * The main thread's handle on a virtual worker (PySyft's VirtualWorker). The
 * worker itself is an actor in a worker thread; this handle turns pointer
 * operations into commands for it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { inspect } from 'node:util';
import type { OpTarget } from '../tensor/op-dispatch.js';
import type { TrainJob } from '../nn/train-plan.js';
import type { OpName } from '../core/op-registry.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import {
  type ActorAddress,
  CommandType,
  type FetchReply,
  type InPlaceOp,
  type LinkReply,
  type ObjectSummary,
  type RingPayload,
  type Slot,
  type StatsReply,
  type WireArg,
  type DealCommand,
  type RevealCommand,
  type RingOpCommand,
  type RingStoreCommand,
  type ShareTensorCommand,
} from '../core/protocol.js';
import { payloadToTensor, tensorToPayload, transferablesOf } from '../transport/tensor-payload.js';
import { PointerTensor, type LocalTensor, type PointerLocation, type TensorKind } from '../pointers/pointer-tensor.js';
import type { SendTarget } from '../pointers/send.js';
import type { ActorThread } from './host-connection.js';
import type { EventBus } from './event-bus.js';
import type { LocalWorker } from './local-worker.js';

export class VirtualWorker implements OpTarget, SendTarget {
  readonly #id: string;
  readonly #address: ActorAddress;
  readonly #thread: ActorThread;
  readonly #owner: LocalWorker;
  readonly #bus: EventBus;
  readonly #settleAll: () => Promise<void>;

  /** @internal Made by hook.virtualWorker(). */
  constructor(id: string, thread: ActorThread, owner: LocalWorker, bus: EventBus, settleAll: () => Promise<void>) {
    this.#settleAll = settleAll;
    this.#id = id;
    this.#address = { actor: id, thread: thread.name };
    this.#thread = thread;
    this.#owner = owner;
    this.#bus = bus;
  }

  get id(): string {
    return this.#id;
  }

  get owner(): LocalWorker {
    return this.#owner;
  }

  /** @internal Where other workers reach this one. */
  get address(): ActorAddress {
    return this.#address;
  }

  /** @internal The thread this actor lives on. */
  get thread(): ActorThread {
    return this.#thread;
  }

  /**
   * What the worker holds, by id (PySyft's `bob._objects`), once every command
   * issued before this call has taken effect, also those other workers forward
   * here (a move to bob issued at alice's chain, say).
   */
  async objects(): Promise<Map<number, ObjectSummary>> {
    await this.#settleAll();
    const summaries = await this.#thread.request(this.#id, { type: CommandType.Objects });
    return new Map(summaries.map((s) => [s.id, s]));
  }

  /**
   * Counts for leak checks, once every command issued before has taken effect:
   * objects held, tensors kept only for a pending backward(), and tfjs tensors
   * alive in the worker's thread.
   */
  async stats(): Promise<StatsReply> {
    await this.#settleAll();
    return this.#thread.request(this.#id, { type: CommandType.Stats });
  }

  /** @internal Resolves when everything this worker forwarded to others has settled. */
  async sync(): Promise<void> {
    await this.#thread.request(this.#id, { type: CommandType.Sync });
  }

  /** Deletes everything the worker holds; pointers to those objects dangle. */
  async clearObjects(): Promise<void> {
    await this.#thread.request(this.#id, { type: CommandType.Clear });
  }

  /** @internal */
  storeTensor(tensor: tf.Tensor, kind: TensorKind, requiresGrad = false): PointerTensor {
    const payload = tensorToPayload(tensor);
    const id = this.#owner.nextId();
    const command = { type: CommandType.Store, id, tensor: payload, ...(requiresGrad ? { requiresGrad } : {}) } as const;
    this.#thread.enqueue(this.#id, command, transferablesOf(payload));
    this.#bus.emit({ type: 'sent', worker: this.#id, id });
    return new PointerTensor(this, id, kind);
  }

  /** @internal */
  runOp(
    op: OpName,
    args: readonly WireArg[],
    outputs: number,
    kind: TensorKind,
    route: readonly PointerLocation[],
    noGrad: boolean,
  ): PointerTensor[] {
    const out: number[] = new Array(outputs);
    for (let i = 0; i < outputs; i++) out[i] = this.#owner.nextId();
    this.#thread.enqueue(this.#id, noGrad ? { type: CommandType.Op, op, args, out, noGrad } : { type: CommandType.Op, op, args, out });
    const pointers: PointerTensor[] = new Array(outputs);
    for (let i = 0; i < outputs; i++) pointers[i] = new PointerTensor(this, out[i]!, kind, route);
    return pointers;
  }

  /** @internal */
  async fetch(idAtLocation: number, kind: TensorKind): Promise<LocalTensor> {
    const reply: FetchReply = await this.#thread.request(this.#id, { type: CommandType.Fetch, id: idAtLocation, keep: false });
    const t = payloadToTensor(reply);
    if (kind !== 'syft') return t;
    // Value and gradient come home together.
    const local = new SyftTensor(t, { requiresGrad: reply.requiresGrad ?? false });
    if (reply.grad !== undefined) local.grad = new SyftTensor(payloadToTensor(reply.grad));
    return local;
  }

  /** @internal A copy of the gradient; it stays at the worker. */
  async fetchGrad(idAtLocation: number, kind: TensorKind): Promise<LocalTensor> {
    const payload = await this.#thread.request(this.#id, { type: CommandType.Fetch, id: idAtLocation, keep: true, slot: 'grad' });
    const t = payloadToTensor(payload);
    return kind === 'syft' ? new SyftTensor(t) : t;
  }

  /** @internal */
  backward(idAtLocation: number, grad: WireArg | undefined): void {
    this.#thread.enqueue(this.#id, grad === undefined ? { type: CommandType.Backward, id: idAtLocation } : { type: CommandType.Backward, id: idAtLocation, grad });
  }

  /** @internal */
  async train(key: number, params: readonly number[], x: number, y: number, job: TrainJob): Promise<readonly number[]> {
    const reply = await this.#thread.request(this.#id, { type: CommandType.Train, key, params, x, y, job });
    return reply.losses;
  }

  /** @internal */
  requireGrad(idAtLocation: number, value: boolean): void {
    this.#thread.enqueue(this.#id, { type: CommandType.RequireGrad, id: idAtLocation, value });
  }

  /** @internal */
  inPlace(idAtLocation: number, slot: Slot, op: InPlaceOp, arg: WireArg | undefined): void {
    this.#thread.enqueue(
      this.#id,
      arg === undefined ? { type: CommandType.InPlace, id: idAtLocation, slot, op } : { type: CommandType.InPlace, id: idAtLocation, slot, op, arg },
    );
  }

  /** @internal */
  expect(id: number): void {
    this.#thread.enqueue(this.#id, { type: CommandType.Expect, id });
  }

  /** @internal */
  sendPointer(idAtLocation: number, to: PointerLocation, as: number): void {
    this.#thread.enqueue(this.#id, { type: CommandType.SendPointer, id: idAtLocation, to: to.address, as });
  }

  /** @internal */
  moveObject(idAtLocation: number, to: PointerLocation, as: number): void {
    this.#thread.enqueue(this.#id, { type: CommandType.Move, id: idAtLocation, to: to.address, as });
  }

  /** @internal */
  remoteGet(idAtLocation: number): void {
    this.#thread.enqueue(this.#id, { type: CommandType.RemoteGet, id: idAtLocation });
  }

  /** @internal */
  unwrap(idAtLocation: number): Promise<LinkReply> {
    return this.#thread.request(this.#id, { type: CommandType.Unwrap, id: idAtLocation });
  }

  /** @internal A step of an SMPC protocol at this worker (see src/smpc/protocols.ts). */
  smpc(command: RingStoreCommand | RingOpCommand | RevealCommand | DealCommand | ShareTensorCommand): void {
    const transfer = command.type === CommandType.RingStore ? [command.ring.values.buffer as ArrayBuffer] : undefined;
    this.#thread.enqueue(this.#id, command, transfer);
  }

  /** @internal This worker's share `id`; unless `keep`, it leaves the worker. */
  fetchRing(id: number, keep: boolean): Promise<RingPayload> {
    return this.#thread.request(this.#id, { type: CommandType.RingFetch, id, keep });
  }

  /** @internal A fresh object id (unique across all workers). */
  nextId(): number {
    return this.#owner.nextId();
  }

  /** @internal */
  release(idAtLocation: number): void {
    this.#thread.scheduleDelete(this.#id, idAtLocation);
  }

  /** @internal Called by the FinalizationRegistry when a pointer became unreachable. */
  collect(idAtLocation: number, pointerId: number): void {
    this.#owner.forget(pointerId);
    this.#bus.emit({ type: 'collected', worker: this.#id, id: idAtLocation, pointer: pointerId });
    this.release(idAtLocation);
  }

  toString(): string {
    return `<VirtualWorker id:${this.#id}>`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
