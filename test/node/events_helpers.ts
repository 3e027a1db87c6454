// Shared by the events_* specs: the committed fixtures and the numpy reference's golden outputs
// (tools/reference/events_reference.py), and frames in the reference's sparse form.
import * as fs from 'fs';
import * as path from 'path';

import type {GoldenEntry} from '../shared/events_golden';

export {plain, sparse} from '../shared/events_golden';
export type {GoldenEntry, GoldenEvents, GoldenFrames} from '../shared/events_golden';

export const root = path.resolve(__dirname, '../../../..');
export const FIXTURES = path.join(root, 'test/fixtures/events');

let cached: Record<string, GoldenEntry> | null = null;
export function golden(): Record<string, GoldenEntry> {
  if (cached == null) cached = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'golden.json'), 'utf8'));
  return cached!;
}

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(FIXTURES, name)));
}

export function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

export async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}
