/**
 * What a trusted dealer (CrypTen's TTP provider, PySyft's crypto_provider)
 * draws: correlated randomness, already split into one list of shares per
 * party. All randomness comes from the CSPRNG (randomRing). The dealer learns
 * nothing about the parties' secrets: it never sees any of their values.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { DealRequest } from '../core/protocol.js';
import { randomRing, splitShares } from '../core/ring/additive-shares.js';
import { binaryTriples, splitXor } from '../core/ring/binary-shares.js';
import { ringMul, type RingTensor, sizeOf } from '../core/ring/ring.js';
import { truncDealWasm } from '../core/ring/ring-elementwise-wasm.js';
import { ringMatMulWasm } from '../core/ring/ring-matmul-wasm.js';



/** Refuses a request that is not a tensor shape, before any work is queued. */
export function checkDealRequest(request: DealRequest): void {
  const shapes = request.kind === 'matMul' ? [request.a, request.b] : [request.shape];
  for (const shape of shapes) {
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new InvalidArgumentError(`deal: [${String(shape)}] is not a tensor shape.`);
    }
  }
}

/**
 * The dealer pool's job (workers/dealer-job.ts): one request, split into the
 * shares of every party, in the order the protocol uses them (see DealRequest).
 */
export function dealJob({ request, parties }: { readonly request: DealRequest; readonly parties: number }): RingTensor[][] {
  checkDealRequest(request);
  const perValue = dealValues(request).map((v) => (isBinary(v) ? splitXor(v.binary, parties) : splitShares(v, parties)));
  return Array.from({ length: parties }, (_, p) => perValue.map((shares) => shares[p]!));
}

function random(shape: readonly number[]): RingTensor {
  return randomRing(shape, sizeOf(shape));
}

/** A value the dealer XOR-shares (binary shares) instead of adding up. */
interface Binary {
  readonly binary: RingTensor;
}

const isBinary = (v: RingTensor | Binary): v is Binary => 'binary' in v;

/** r both ways, the carry tree's triples, and a random bit s both ways (src/core/ring/binary-shares.ts). */
function comparisonMaterial(shape: readonly number[]): { values: (RingTensor | Binary)[]; s: RingTensor } {
  const r = random(shape);
  const s = random(shape);
  for (let i = 0; i < s.values.length; i++) s.values[i]! &= 1n;
  return { values: [r, { binary: r }, { binary: binaryTriples(shape, sizeOf(shape)) }, s, { binary: s }], s };
}

function dealValues(request: DealRequest): (RingTensor | Binary)[] {
  switch (request.kind) {
    case 'mul': {
      const [a, b] = [random(request.shape), random(request.shape)];
      return [a, b, ringMul(a, b)];
    }
    case 'matMul': {
      const [a, b] = [random(request.a), random(request.b)];
      return [a, b, ringMatMulWasm(a, b)];
    }
    case 'truncation': {
      const r = random(request.shape);
      const { div, msb } = truncDealWasm(r.values, request.scale);
      return [r, { values: div, shape: r.shape }, { values: msb, shape: r.shape }];
    }
    case 'comparison':
      return comparisonMaterial(request.shape).values;
    case 'comparisonProduct': {
      const { values, s } = comparisonMaterial(request.shape);
      const a = random(request.shape);
      return [...values, a, ringMul(a, s)];
    }
    case 'zero':
      return [{ values: new BigUint64Array(sizeOf(request.shape)), shape: [...request.shape] }];
    default: {
      const unknown: never = request;
      throw new InvalidArgumentError(`deal: unknown request kind ${String((unknown as { kind: unknown }).kind)}.`);
    }
  }
}
