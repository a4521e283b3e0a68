/**
 * The IDX format of the MNIST files (LeCun): a magic number whose third byte
 * is the element type and fourth the rank, big-endian 32-bit sizes, then the
 * values. Only unsigned bytes (type 0x08), which is what MNIST uses.
 */
import { gunzipSync } from 'node:zlib';
import { InvalidArgumentError } from '../core/errors.js';

export interface IdxArray {
  readonly shape: number[];
  readonly values: Uint8Array;
}

/** Parses an IDX file, gzip-compressed or not. */
export function parseIdx(bytes: Uint8Array, name = 'IDX file'): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzip(bytes, name) : bytes;
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) {
    throw new InvalidArgumentError(`${name}: not an IDX file (it must start with two zero bytes, a type byte and a rank byte).`);
  }
  if (raw[2] !== 0x08) throw new InvalidArgumentError(`${name}: element type 0x${raw[2]!.toString(16)} is not supported; MNIST files hold unsigned bytes (0x08).`);
  const rank = raw[3]!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const header = 4 + 4 * rank;
  if (raw.length < header) throw new InvalidArgumentError(`${name}: truncated header (${raw.length} bytes for rank ${rank}).`);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const size = shape.reduce((a, b) => a * b, 1);
  if (raw.length - header !== size) {
    throw new InvalidArgumentError(`${name}: the header promises ${size} values of shape [${shape}], the file holds ${raw.length - header}.`);
  }
  return { shape, values: raw.subarray(header) };
}

/** zlib's own errors ("unexpected end of file") do not say which file, nor carry a code. */
function gunzip(bytes: Uint8Array, name: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidArgumentError(`${name}: a damaged or truncated gzip file (${reason}); download it again.`);
  }
}
