/**
 * Reads a dataset file from disk, or downloads it when no local copy exists:
 * examples keep the real download path but work offline from a local file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DatasetUnavailableError } from '../core/errors.js';

export async function loadBytes(name: string, localPaths: readonly string[], url: string | undefined): Promise<Uint8Array> {
  const tried: string[] = [];
  for (const path of localPaths) {
    const full = resolve(path);
    if (existsSync(full)) return readFileSync(full);
    tried.push(full);
  }
  if (url === undefined) throw new DatasetUnavailableError(name, tried, undefined, 'no download address was given');
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new DatasetUnavailableError(name, tried, url, error instanceof Error ? error.message : String(error));
  }
}
