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

/** Exposes exactly the functions of `entryPoints` (an API such as HostApi) on `endpoint`. */
export function exposeEntryPoints<T extends { readonly [K in keyof T]: (...args: never[]) => unknown }>(entryPoints: T, endpoint: Comlink.Endpoint): void {
  const api = Object.create(null) as Record<string, Callable>;
  for (const [name, fn] of Object.entries(entryPoints)) api[name] = sealed(fn as Callable);
  Comlink.expose(Object.freeze(api), endpoint);
}
