/**
 * How messages cross a channel. `clone`, the default between threads: structured
 * clone, with tensor buffers moved in the transfer list. `bytes`: every message
 * is encoded to one ArrayBuffer (src/transport/codec.ts, tensors as raw binary
 * segments), as a socket to another process will need; between threads it
 * proves that every command and reply is plain data, and the integration
 * tests run over it too (`SYFT_WIRE=bytes`).
 */
import type { Endpoint } from 'comlink';
import { InvalidArgumentError } from '../core/errors.js';
import { decode, encode } from './codec.js';

export type WireEncoding = 'clone' | 'bytes';

export function isWireEncoding(value: unknown): value is WireEncoding {
  return value === 'clone' || value === 'bytes';
}

/** The encoding asked for by `SYFT_WIRE`, else structured clone. */
export function wireFromEnvironment(value: string | undefined = process.env['SYFT_WIRE']): WireEncoding {
  if (value === undefined || value === '') return 'clone';
  if (!isWireEncoding(value)) throw new InvalidArgumentError(`SYFT_WIRE='${value}': use 'clone' (the default) or 'bytes'.`);
  return value;
}

/** `endpoint` as seen through the encoding: unchanged for clone, byte frames for bytes. */
export function wireEndpoint(endpoint: Endpoint, wire: WireEncoding): Endpoint {
  return wire === 'bytes' ? bytesEndpoint(endpoint) : endpoint;
}

type Listener = Parameters<Endpoint['addEventListener']>[1];

/**
 * A comlink endpoint whose messages travel as single ArrayBuffers: each one is
 * encoded on the way out (its transfer list is no longer needed: the buffers'
 * bytes are in the frame) and decoded on the way in. Anything that is not
 * plain data is refused when sent.
 */
function bytesEndpoint(inner: Endpoint): Endpoint {
  const wrapped = new Map<Listener, Listener>();
  return {
    postMessage(message: unknown): void {
      const frame = encode(message);
      inner.postMessage(frame, [frame]);
    },
    addEventListener(type, listener): void {
      const decoding: Listener = (event: { data: unknown }) => {
        let data: unknown;
        try {
          data = decode(event.data as ArrayBuffer);
        } catch {
          return; // not a frame of ours: dropped, as a comlink endpoint drops a message it cannot read
        }
        const decoded = { data } as MessageEvent;
        if (typeof listener === 'function') listener(decoded);
        else listener.handleEvent(decoded);
      };
      wrapped.set(listener, decoding);
      inner.addEventListener(type, decoding);
    },
    removeEventListener(type, listener): void {
      const decoding = wrapped.get(listener);
      if (decoding === undefined) return;
      wrapped.delete(listener);
      inner.removeEventListener(type, decoding);
    },
    ...(inner.start === undefined ? {} : { start: () => inner.start!() }),
  };
}
