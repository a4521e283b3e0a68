/**
 * Serves a fixed set of entry points over comlink, and nothing else.
 *
 * comlink's `expose(obj)` resolves whatever property path a message names on
 * `obj`, then gets, sets, calls or constructs it. Exposing a plain object of
 * functions hands the peer the whole object graph behind them: through a
 * function's prototype chain, or a property as harmless as its `name` (a
 * string, whose `constructor` is String, whose `constructor` is Function),
 * `new remote.execute.constructor(src)()` runs `src` in the host.
 *
 * So every value the peer can reach here is a frozen object or arrow function
 * with a null prototype and no properties but the entry points, and on each
 * entry point the one property comlink calls it through, `apply`. Arrow
 * functions cannot be constructed. Plain objects, no proxies: a call costs
 * what an unsealed one does.
 */
import * as Comlink from 'comlink';

type Callable = (...args: unknown[]) => unknown;

/** `fn` as an arrow function with a null prototype, no own properties, and `apply` set to `apply`. */
function bare(fn: Callable, apply: (self: Callable) => Callable): Callable {
  const f: Callable = (...args) => fn(...args);
  Reflect.deleteProperty(f, 'name');
  Reflect.deleteProperty(f, 'length');
  Object.setPrototypeOf(f, null);
  Object.defineProperty(f, 'apply', { value: apply(f) });
  return Object.freeze(f);
}

/** An entry point, and its `apply`: comlink calls `entry.apply(api, args)`. */
function sealed(fn: Callable): Callable {
  // apply's own `apply` is itself: every path through it ends where it started.
  return bare(fn, (entry) => bare((thisArg, args) => Reflect.apply(entry, thisArg, Array.isArray(args) ? args : []), (self) => self));
}

/**
 * Exposes exactly the functions of `entryPoints` (an API such as HostApi) on `endpoint`.
 *
 * Only calls reach comlink: `{ id, type: 'APPLY', path: [an entry point], argumentList: [...] }`.
 * comlink ignores a request of an unknown type without a word, reads the
 * argument list before its own try (a malformed one throws out of the
 * endpoint's listener), and serves SET, CONSTRUCT, ENDPOINT and RELEASE, which
 * no client of ours sends. Anything else is answered here: as a thrown
 * MALFORMED_COMMAND when it has an id to answer, else as a frame error.
 */
export function exposeEntryPoints<T extends { readonly [K in keyof T]: (...args: never[]) => unknown }>(entryPoints: T, endpoint: Comlink.Endpoint): void {
  const api = Object.create(null) as Record<string, Callable>;
  for (const [name, fn] of Object.entries(entryPoints)) api[name] = sealed(fn as Callable);
  const names = new Set(Object.keys(api));
  const guarded: Comlink.Endpoint = {
    postMessage: (message, transfer) => endpoint.postMessage(message, transfer),
    addEventListener(type, listener) {
      endpoint.addEventListener(type, (event: Event) => {
        const wrong = malformedCall((event as MessageEvent).data, names);
        if (wrong === undefined) return typeof listener === 'function' ? listener(event) : listener.handleEvent(event);
        const id = ((event as MessageEvent).data as { id?: unknown } | null)?.id;
        const error = { name: 'MalformedCommandError', message: `malformed call: ${wrong}`, code: 'MALFORMED_COMMAND' };
        endpoint.postMessage(
          typeof id === 'string' ? { id, type: 'HANDLER', name: 'throw', value: { isError: true, value: error } } : { syftFrameError: { code: error.code, message: error.message } },
        );
      });
    },
    removeEventListener: () => undefined, // comlink removes its listener only on RELEASE, which never passes
  };
  Comlink.expose(Object.freeze(api), guarded);
}

/** Why `data` is not a call of one of `names`, or undefined when it is. */
function malformedCall(data: unknown, names: ReadonlySet<string>): string | undefined {
  if (typeof data !== 'object' || data === null) return 'a call is an object';
  const { id, type, path, argumentList } = data as Record<string, unknown>;
  if (typeof id !== 'string' || id.length > 256) return 'a call has a string id';
  if (type !== 'APPLY') return `only calls (APPLY) are served, not ${String(type).slice(0, 32)}`;
  if (!Array.isArray(path) || path.length !== 1 || typeof path[0] !== 'string' || !names.has(path[0])) return `no entry point ${JSON.stringify(path)?.slice(0, 64)}`;
  if (!Array.isArray(argumentList)) return 'a call has an argument list';
  for (const arg of argumentList) {
    // comlink's wire values: RAW data only (a HANDLER value would have comlink build a proxy from our data).
    if (typeof arg !== 'object' || arg === null || (arg as { type?: unknown }).type !== 'RAW') return 'arguments are plain data (RAW wire values)';
  }
  return undefined;
}
