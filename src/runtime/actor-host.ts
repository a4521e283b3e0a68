/**
 * The code that runs inside an actor thread: it hosts any number of actors and
 * exposes them to the main thread over comlink. `workers/actor-host.ts` is only
 * the thread's entry point and calls `startActorHost`.
 */
import * as Comlink from 'comlink';
import { nodeEndpoint } from '../transport/endpoint.js';
import type { MessagePort } from 'node:worker_threads';
import { SyftError } from '../errors.js';
import type { ActorBatch, ActorBatchResult, ActorHostApi, HostInitOptions } from '../transport/protocol.js';
import { Actor } from './actor.js';
import { useBackend } from './backend.js';

export function createActorHost(): ActorHostApi {
  const actors = new Map<string, Actor>();

  return {
    async init(options: HostInitOptions): Promise<string> {
      return useBackend(options.backend);
    },

    spawn(id: string): void {
      if (actors.has(id)) throw new SyftError('DUPLICATE_WORKER', `actor '${id}' already lives on this thread`);
      actors.set(id, new Actor(id));
    },

    execute(batches: readonly ActorBatch[]): ActorBatchResult[] {
      const transfer: ArrayBuffer[] = [];
      const results = batches.map((batch) => {
        const actor = actors.get(batch.actor);
        if (actor === undefined) {
          const error = { name: 'SyftError', message: `no actor '${batch.actor}' on this thread`, code: 'OBJECT_NOT_FOUND' };
          return { failures: batch.commands.map((_, i) => [i, error, 'execute'] as const), replies: [] };
        }
        return actor.run(batch.commands, transfer);
      });
      return Comlink.transfer(results, transfer);
    },
  };
}

export function startActorHost(port: MessagePort): void {
  Comlink.expose(createActorHost(), nodeEndpoint(port));
}
