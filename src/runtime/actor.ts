/**
 * One virtual worker, thread side: an id and the store it owns. It runs the
 * commands of a batch in order; a command that fails is recorded and the rest
 * of the batch still runs, so one bad op never harms the worker's other objects.
 */
import { serializeError, SyftError } from '../errors.js';
import { FailedInputError, ObjectStore } from '../store/object-store.js';
import { executeOp } from '../tensor/op-execute.js';
import { payloadToTensor, tensorToPayload, transferablesOf } from '../transport/tensor-payload.js';
import { type ActorBatchResult, type Command, CommandType } from '../transport/protocol.js';

export class Actor {
  readonly store: ObjectStore;

  constructor(readonly id: string) {
    this.store = new ObjectStore(id);
  }

  /** Runs a batch; buffers of fetched tensors are appended to `transfer`. */
  run(commands: readonly Command[], transfer: ArrayBuffer[]): ActorBatchResult {
    const failures: [number, ReturnType<typeof serializeError>, string][] = [];
    const replies: [number, unknown][] = [];
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i]!;
      try {
        const reply = this.#runOne(command, transfer);
        if (reply !== undefined) replies.push([i, reply]);
      } catch (error) {
        // A command that read a failed result reports the op that failed first and
        // its cause: the user must learn "matMul: shapes do not match", not "fetch failed".
        const failure =
          error instanceof FailedInputError
            ? error.failure
            : { op: command.type === CommandType.Op ? command.op : command.type, ...serializeError(error) };
        if (command.type === CommandType.Op) this.store.fail(command.out, failure);
        failures.push([i, { name: 'RemoteError', message: failure.message, code: failure.code }, failure.op]);
      }
    }
    return { failures, replies };
  }

  #runOne(command: Command, transfer: ArrayBuffer[]): unknown {
    switch (command.type) {
      case CommandType.Store:
        this.store.set(command.id, payloadToTensor(command.tensor));
        return undefined;
      case CommandType.Op: {
        const outputs = executeOp(command.op, command.args, this.store);
        if (outputs.length !== command.out.length) {
          for (const t of outputs) t.dispose();
          throw new SyftError(
            'INVALID_ARGUMENT',
            `'${command.op}' produced ${outputs.length} outputs where the caller expected ${command.out.length}`,
          );
        }
        outputs.forEach((t, k) => this.store.set(command.out[k]!, t));
        return undefined;
      }
      case CommandType.Delete: {
        const deleted = this.store.delete(command.ids);
        if (deleted.length === command.ids.length) return undefined;
        const gone = new Set(deleted);
        return { missing: command.ids.filter((id) => !gone.has(id)) };
      }
      case CommandType.Fetch: {
        const tensor = command.keep ? this.store.get(command.id) : this.store.take(command.id);
        const payload = tensorToPayload(tensor);
        if (!command.keep) tensor.dispose();
        transfer.push(...transferablesOf(payload));
        return payload;
      }
      case CommandType.Objects:
        return this.store.summaries();
      case CommandType.Clear:
        return { deleted: this.store.clear() };
      default: {
        const unknown: never = command;
        throw new SyftError('INVALID_ARGUMENT', `unknown command ${JSON.stringify(unknown)}`);
      }
    }
  }
}
