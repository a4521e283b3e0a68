/**
 * What each command does at an actor: one handler per wire command, the other
 * half of its entry in src/core/commands.ts (which says what it reads and
 * writes and whether it is a read). The mapped type makes the compiler insist
 * on a handler for every command. Handlers run synchronously; work they start
 * at other actors goes through `forward` and `deliver`, which the actor tracks
 * for its ordering rules (src/host/actor.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { seedRandomOps } from '../autograd/replay.js';
import { isSyftError, serializeError, SyftError } from '../core/errors.js';
import { isOpName, type OpName } from '../core/op-registry.js';
import {
  type ActorAddress,
  type Command,
  type CommandOf,
  type CommandType,
  type DeliveredItem,
  mapRefs,
  refsOf,
  type ReplyOf,
  type StoredFailure,
  type WireArg,
} from '../core/protocol.js';
import { payloadToTensor, tensorToPayload, transferablesOf } from '../transport/tensor-payload.js';
import { type Entry, FailedInputError, type ObjectStore } from './object-store.js';
import { executeOp, resolveArgs } from './op-execute.js';
import type { Party } from './party.js';
import type { RemoteGraph } from './remote-graph.js';
import type { WorkerTraining } from './training.js';
import type { PrivacyGuard } from './privacy.js';
import { applyMechanism } from '../dp/mechanisms.js';
import { noisyShare } from '../dp/share-noise.js';

/** The actor as its handlers see it. */
export interface ActorState {
  readonly id: string;
  readonly address: ActorAddress;
  readonly store: ObjectStore;
  /** The autograd tape of this actor's objects. */
  readonly graph: RemoteGraph;
  readonly training: WorkerTraining;
  /** The data owner's privacy policy and budget at this worker. */
  readonly privacy: PrivacyGuard;
  /** This worker's side of the SMPC protocols. */
  readonly party: Party;
  /** Runs commands at another actor (tracked: see the actor's ordering rules). */
  forward(to: ActorAddress, commands: Command[]): void;
  /** Hands an object to another actor (tracked). */
  deliver(to: ActorAddress, id: number, item: DeliveredItem, transfer: ArrayBuffer[]): void;
  /** Buffers that leave with the batch's reply instead of being copied. */
  transferWithReply(buffers: readonly ArrayBuffer[]): void;
  /** Announces an object on its way from one of `from`; it fails if they die first (false: one already has). */
  expect(id: number, from: readonly ActorAddress[]): boolean;
  /** Throws when `to` cannot be reached (unknown, or its thread died). */
  assertReachable(to: ActorAddress): void;
  /** sy.testing.slow: a wait before each later batch. */
  delayMs: number;
  /** A fresh id for an object this worker creates at the next hop of a chain (never one a client chose). */
  nextLinkId(): number;
}

/** A command nobody awaits answers nothing. */
type Handler<K extends CommandType> = (actor: ActorState, command: CommandOf<K>) => ReplyOf<K> extends undefined ? void : ReplyOf<K>;

export const HANDLERS: { readonly [K in CommandType]: Handler<K> } = {
  store: (a, c) => {
    a.store.setTensor(c.id, payloadToTensor(c.tensor));
    a.graph.addLeaf(c.id, c.requiresGrad ?? false, c.grad);
  },
  op: (a, c) => runOp(a, c),
  delete: (a, c) => {
    const deleted = release(a, a.store.delete(c.ids));
    if (deleted.length === c.ids.length) return undefined;
    const gone = new Set(deleted);
    return { missing: c.ids.filter((id) => !gone.has(id)) };
  },
  fetch: (a, c) => {
    if (c.slot === 'grad') {
      const payload = tensorToPayload(a.graph.gradOf(c.id));
      a.transferWithReply(transferablesOf(payload));
      return payload;
    }
    const tensor = a.store.tensor(c.id);
    const reply = { ...tensorToPayload(tensor), ...a.graph.stateOf(c.id) };
    if (!c.keep) {
      a.store.take(c.id);
      a.graph.drop(c.id, tensor);
      a.training.forget([c.id]);
    }
    a.transferWithReply([...transferablesOf(reply), ...(reply.grad === undefined ? [] : transferablesOf(reply.grad))]);
    return reply;
  },
  objects: (a) => a.privacy.redact(a.store.summaries()),
  clear: (a) => ({ deleted: release(a, a.store.clear()) }),
  expect: (a, c) => {
    a.expect(c.id, [c.from]);
  },
  move: (a, c) => ({ bytes: move(a, c.id, c.to, c.as) }),
  'send-pointer': (a, c) => {
    handOffTo(a, c.id, c.to);
    const item: DeliveredItem = failureOrMissing(a, c.id) ?? { kind: 'pointer', location: a.address, idAtLocation: c.id };
    // The link at c.to is now the only reference to the object here.
    if (c.to.thread !== a.address.thread) a.store.linkFrom(c.id, c.to.thread);
    a.deliver(c.to, c.as, item, []);
  },
  'remote-get': (a, c) => {
    const to = link(a, c.id);
    a.store.take(c.id);
    a.expect(c.id, [to.location]);
    a.forward(to.location, [{ type: 'move', id: to.idAtLocation, to: a.address, as: c.id }]);
  },
  unwrap: (a, c) => {
    const to = link(a, c.id);
    a.store.take(c.id);
    return { location: to.location.actor, idAtLocation: to.idAtLocation };
  },
  unlink: (a, c) => {
    for (const id of c.ids) a.store.unlink(id);
  },
  sync: () => undefined,
  slow: (a, c) => {
    a.delayMs = c.ms;
  },
  backward: (a, c) => {
    const to = linkOrUndefined(a, c.id);
    if (to !== undefined) {
      const grad = c.grad === undefined ? undefined : mapRefs([c.grad], (id) => link(a, id).idAtLocation)[0];
      a.forward(to.location, [grad === undefined ? { type: 'backward', id: to.idAtLocation } : { type: 'backward', id: to.idAtLocation, grad }]);
      return;
    }
    a.graph.backward(c.id, c.grad === undefined ? undefined : (resolve(a, [c.grad])[0] as tf.Tensor));
  },
  'in-place': (a, c) => {
    const to = linkOrUndefined(a, c.id);
    if (to !== undefined) {
      const arg = c.arg === undefined ? undefined : mapRefs([c.arg], (id) => link(a, id).idAtLocation)[0];
      a.forward(to.location, [arg === undefined ? { ...c, id: to.idAtLocation } : { ...c, id: to.idAtLocation, arg }]);
      return;
    }
    a.graph.inPlace(c.id, c.slot, c.op, c.arg === undefined ? undefined : (resolve(a, [c.arg])[0] as tf.Tensor | number));
  },
  'require-grad': (a, c) => {
    const to = linkOrUndefined(a, c.id);
    if (to !== undefined) a.forward(to.location, [{ ...c, id: to.idAtLocation }]);
    else a.graph.requireGrad(c.id, c.value);
  },
  stats: (a) => ({
    objects: a.store.size,
    retainedForBackward: a.graph.retainedCount,
    pending: a.store.pendingCount,
    openings: a.party.openingsInProgress,
    trainingSessions: a.training.sessionCount,
    threadTensors: tf.memory().numTensors,
    smpcSent: a.party.sent,
  }),
  train: (a, c) => {
    const losses = a.training.run(c.key, c.params, c.x, c.y, c.job);
    // Losses on the owner's private data are not DP: under denyRawGet they stay here.
    return { losses: a.privacy.mayReveal([c.x, c.y]) ? losses : [] };
  },
  'set-policy': (a, c) => a.privacy.setPolicy(c.policy),
  'privacy-spent': (a) => a.privacy.report(),
  'dp-noise': (a, c) => a.store.setTensor(c.out, applyMechanism(a.store.tensor(c.id), c.mechanism)),
  'share-noise': (a, c) => a.store.set(c.out, { kind: 'ring', ring: noisyShare(a.store.ring(c.id), c.sigma) }),
  'ring-store': (a, c) => a.store.set(c.id, { kind: 'ring', ring: c.ring }),
  'ring-op': (a, c) => {
    // On a chain (x.send(bob).send(alice).fixPrecision()) the op runs where the data is, as tensor ops do.
    if (!forwardAlongChain(a, c, refsOf(c.args), [c.out], (args, [out]) => ({ ...c, args, out: out! }))) a.party.ringOp(c);
  },
  'ring-fetch': (a, c) => {
    const ring = a.store.ring(c.id);
    if (!c.keep) a.store.take(c.id);
    // A kept share stays usable here: send a copy, not its buffer.
    const values = c.keep ? ring.values.slice() : ring.values;
    if (!c.keep) a.transferWithReply([values.buffer as ArrayBuffer]);
    return { values, shape: ring.shape };
  },
  reveal: (a, c) => a.party.reveal(c),
  deal: (a, c) => a.party.deal(c),
  'share-tensor': (a, c) => a.party.shareTensor(c, () => a.store.tensor(c.id)),
};

/** Runs an op here, or forwards it along the chain when its inputs are links. */
function runOp(a: ActorState, c: CommandOf<'op'>): void {
  const refs = refsOf(c.args);
  if (forwardAlongChain(a, c, refs, c.out, (args, out) => ({ ...c, args, out }))) return;
  // The common case: the data is here. Ops that draw random numbers get a
  // seed when recorded, so that backward() replays them exactly.
  const recording = !c.noGrad && isOpName(c.op) && refs.some((id) => a.graph.requiresGrad(id));
  const args = recording ? seedRandomOps<WireArg>(c.op as OpName, c.args, (value) => ({ value })) : c.args;
  const outputs = executeOp(c.op, resolve(a, args));
  if (outputs.length !== c.out.length) {
    for (const t of outputs) t.dispose();
    throw new SyftError('INVALID_ARGUMENT', `'${c.op}' produced ${outputs.length} outputs where the caller expected ${c.out.length}`);
  }
  outputs.forEach((t, k) => a.store.setTensor(c.out[k]!, t));
  if (recording) a.graph.record(c.op as OpName, args, c.out);
}

/**
 * When a command's inputs are chain links here, forwards it down the chain (its
 * results become links to results there) and answers true; false when the data
 * is here. `rebuild` makes the command for the next worker from its ids there.
 */
function forwardAlongChain<C extends { readonly args: readonly WireArg[]; readonly op: string }>(
  a: ActorState,
  c: C,
  refs: readonly number[],
  outs: readonly number[],
  rebuild: (args: WireArg[], out: number[]) => Command,
): boolean {
  // Every op passes here: the common answer (no link) allocates nothing.
  let linked = false;
  for (const id of refs) if (a.store.get(id).kind === 'pointer') linked = true;
  if (!linked) return false;
  const entries = refs.map((id) => a.store.get(id));
  const links = entries.filter((e) => e.kind === 'pointer');
  const location = links[0]!.location;
  if (links.length !== entries.length || links.some((l) => l.location.actor !== location.actor)) {
    throw new SyftError('TENSORS_NOT_COLLOCATED', `'${c.op}' at '${a.id}' mixes objects held here with pointers to other workers`);
  }
  const at = new Map(refs.map((id, k) => [id, (entries[k] as Extract<Entry, { kind: 'pointer' }>).idAtLocation]));
  // The results get ids of their own downstream: a chain may pass through this worker again
  // (x at bob, bob -> alice -> bob), and the same ids would collide with the links made here.
  const down = outs.map(() => a.nextLinkId());
  outs.forEach((id, k) => a.store.set(id, { kind: 'pointer', location, idAtLocation: down[k]! }));
  a.forward(location, [rebuild(mapRefs(c.args, (id) => at.get(id)!), down)]);
  return true;
}

/**
 * Disposes removed tensors (or lets the graph keep them), ends training
 * sessions that used them, and forwards deletes down chains. Returns the ids.
 */
function release(a: ActorState, removed: ReadonlyArray<readonly [number, Entry]>): number[] {
  for (const [id, entry] of removed) a.graph.drop(id, entry.kind === 'tensor' ? entry.tensor : undefined);
  const ids = removed.map(([id]) => id);
  a.training.forget(ids);
  const byLocation = new Map<string, { to: ActorAddress; ids: number[] }>();
  for (const [, entry] of removed) {
    if (entry.kind !== 'pointer') continue;
    let group = byLocation.get(entry.location.actor);
    if (group === undefined) byLocation.set(entry.location.actor, (group = { to: entry.location, ids: [] }));
    group.ids.push(entry.idAtLocation);
  }
  for (const { to, ids: there } of byLocation.values()) a.forward(to, [{ type: 'delete', ids: there }]);
  return ids;
}

/**
 * Sends the object to `to` (or, for a chain link, asks the next worker to);
 * returns the tensor bytes this worker sent. A failed or missing object is
 * delivered as a failure, so the receiver never waits for nothing.
 */
function move(a: ActorState, id: number, to: ActorAddress, as: number): number {
  handOffTo(a, id, to);
  const failure = failureOrMissing(a, id);
  if (failure !== undefined) {
    a.deliver(to, as, failure, []);
    return 0;
  }
  const entry = a.store.take(id);
  a.training.forget([id]);
  if (entry.kind === 'pointer') {
    a.forward(entry.location, [{ type: 'move', id: entry.idAtLocation, to, as }]);
    return 0;
  }
  if (entry.kind === 'ring') {
    const bytes = entry.ring.values.byteLength;
    a.deliver(to, as, { kind: 'ring', ring: entry.ring }, [entry.ring.values.buffer as ArrayBuffer]);
    return bytes;
  }
  const payload = tensorToPayload(entry.tensor);
  const state = a.graph.stateOf(id);
  // Disposed, unless a graph here still needs the value for backward().
  a.graph.drop(id, entry.tensor);
  const bytes = payload.values.byteLength; // read before the transfer detaches the buffer
  const transfer = [...transferablesOf(payload), ...(state.grad === undefined ? [] : transferablesOf(state.grad))];
  a.deliver(to, as, { kind: 'tensor', tensor: payload, ...state }, transfer);
  return bytes;
}

/**
 * Checked before an object leaves: a move to a thread nobody knows fails and
 * keeps the object here. A move to a worker that died fails too, and the
 * object goes: the client gave it to that worker, so nothing can name it here.
 */
function handOffTo(a: ActorState, id: number, to: ActorAddress): void {
  try {
    a.assertReachable(to);
  } catch (error) {
    if (isSyftError(error) && error.code === 'WORKER_CRASHED') release(a, a.store.delete([id]));
    throw error;
  }
}

function resolve(a: ActorState, args: readonly WireArg[]): unknown[] {
  return resolveArgs(args, (id) => a.store.tensor(id), (id) => a.graph.gradOf(id));
}

function linkOrUndefined(a: ActorState, id: number): Extract<Entry, { kind: 'pointer' }> | undefined {
  const entry = a.store.get(id);
  return entry.kind === 'pointer' ? entry : undefined;
}

function link(a: ActorState, id: number): Extract<Entry, { kind: 'pointer' }> {
  const entry = linkOrUndefined(a, id);
  if (entry === undefined) {
    throw new SyftError('INVALID_ARGUMENT', `object ${id} at '${a.id}' holds the data itself, not a pointer to it`);
  }
  return entry;
}

function failureOrMissing(a: ActorState, id: number): Extract<DeliveredItem, { kind: 'failure' }> | undefined {
  try {
    a.store.get(id);
    return undefined;
  } catch (error) {
    const failure: StoredFailure = error instanceof FailedInputError ? error.failure : { op: 'move', ...serializeError(error) };
    return { kind: 'failure', op: failure.op, message: failure.message, code: failure.code };
  }
}
