/**
 * The command table: one entry per wire command, saying which ids it reads and
 * writes, whether its reply is a read, what errors call it, and which
 * lifecycle events it causes. The host's ordering rules and failure records,
 * and the client's delete flushing and event stream, all derive from it; the
 * host's handlers (src/host/handlers.ts) are the other half of each entry.
 * The mapped type makes the compiler insist on an entry for every command.
 */
import type { LifecycleEvent } from './events.js';
import { type Command, type CommandOf, type CommandType, refsOf, type ReplyOf } from './protocol.js';

interface CommandSpec<K extends CommandType> {
  /** Ids the command reads: a host runs it only once every one of them has arrived. */
  readonly reads?: (c: CommandOf<K>) => readonly number[];
  /** Ids it stores at the actor: if it fails they hold its failure, so whatever reads them learns the cause. */
  readonly writes?: (c: CommandOf<K>) => readonly number[];
  /**
   * Its reply tells the client what the actor holds or did. The client first
   * sends the actor's waiting deletes (the reply must not show deleted
   * objects); the host answers only once the work this actor forwarded to
   * others earlier has settled (the client may talk to those next).
   */
  readonly read?: true;
  /** How errors and events name it; the command's type otherwise. */
  readonly name?: (c: CommandOf<K>) => string;
  /** Events the client emits when it sends the command. */
  readonly posted?: (c: CommandOf<K>, worker: string) => LifecycleEvent[];
  /** Events the client emits once the actor confirmed it. */
  readonly confirmed?: (c: CommandOf<K>, reply: ReplyOf<K>, worker: string) => LifecycleEvent[];
  /** Tensor bytes the reply brings to the client (transport statistics). */
  readonly replyBytes?: (reply: ReplyOf<K>) => number;
}

const one = (c: { readonly id: number }): readonly number[] => [c.id];

const COMMANDS: { readonly [K in CommandType]: CommandSpec<K> } = {
  store: {
    writes: one,
    posted: (c, worker) => [{ type: 'sent', worker, id: c.id }],
    confirmed: (c, _, worker) => [{ type: 'stored', worker, id: c.id, op: 'send' }],
  },
  op: {
    reads: (c) => refsOf(c.args),
    writes: (c) => c.out,
    name: (c) => c.op,
    confirmed: (c, _, worker) => c.out.map((id) => ({ type: 'stored', worker, id, op: c.op })),
  },
  delete: {
    reads: (c) => c.ids,
    confirmed: (c, reply, worker) => {
      const missing = new Set(reply?.missing);
      return c.ids.filter((id) => !missing.has(id)).map((id) => ({ type: 'deleted', worker, id }));
    },
  },
  fetch: {
    reads: one,
    read: true,
    confirmed: (c, _, worker) => (c.keep ? [] : [{ type: 'fetched', worker, id: c.id }]),
    replyBytes: (reply) => reply.values.byteLength,
  },
  objects: { read: true },
  clear: { read: true, confirmed: (_, reply, worker) => reply.deleted.map((id) => ({ type: 'deleted', worker, id })) },
  expect: {},
  move: {
    reads: one,
    confirmed: (c, reply, worker) => [{ type: 'moved', worker, id: c.id, to: c.to.actor, as: c.as, bytes: reply.bytes }],
  },
  'send-pointer': { reads: one },
  'remote-get': { reads: one },
  unwrap: { reads: one, read: true },
  sync: { read: true },
  backward: { reads: (c) => (c.grad === undefined ? [c.id] : [c.id, ...refsOf([c.grad])]) },
  'in-place': { reads: (c) => (c.arg === undefined ? [c.id] : [c.id, ...refsOf([c.arg])]) },
  'require-grad': { reads: one },
  stats: { read: true },
  train: { reads: (c) => [...c.params, c.x, c.y], read: true },
  'ring-store': { writes: one },
  'ring-op': { reads: (c) => refsOf(c.args), writes: (c) => [c.out] },
  'ring-fetch': { reads: one, read: true, replyBytes: (reply) => reply.values.byteLength },
  reveal: { reads: (c) => c.parts },
  deal: {},
  'share-tensor': { reads: one },
};

// The table is indexed by a command's own type, so these casts only undo TypeScript's loss of that link.
const specOf = (c: Command): CommandSpec<CommandType> => COMMANDS[c.type] as unknown as CommandSpec<CommandType>;
const NONE: readonly number[] = Object.freeze([]);
const NO_EVENTS: readonly LifecycleEvent[] = Object.freeze([]);

export function readsOf(c: Command): readonly number[] {
  return specOf(c).reads?.(c as never) ?? NONE;
}

export function writesOf(c: Command): readonly number[] {
  return specOf(c).writes?.(c as never) ?? NONE;
}

export function isRead(c: Command): boolean {
  return specOf(c).read === true;
}

export function nameOf(c: Command): string {
  return specOf(c).name?.(c as never) ?? c.type;
}

export function postedEvents(c: Command, worker: string): readonly LifecycleEvent[] {
  return specOf(c).posted?.(c as never, worker) ?? NO_EVENTS;
}

export function confirmedEvents(c: Command, reply: unknown, worker: string): readonly LifecycleEvent[] {
  return specOf(c).confirmed?.(c as never, reply as never, worker) ?? NO_EVENTS;
}

export function replyBytesOf(c: Command, reply: unknown): number {
  return specOf(c).replyBytes?.(reply as never) ?? 0;
}
