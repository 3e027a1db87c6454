// Node-only helpers of the io specs (io_file_system_spec, io_load_spec): files, digests, a local server.
import {createHash} from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON, shaped by each test
export function readJSON(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

export async function expectRejection(promise: Promise<unknown>, ...fragments: string[]): Promise<Error> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught).toEqual(jasmine.any(Error));
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
  return caught as Error;
}

export function sha256Of(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export function flipOneBit(file: string, byte: number, bit: number) {
  const bytes = fs.readFileSync(file);
  bytes[byte] ^= 1 << bit;
  fs.writeFileSync(file, bytes);
}

/** Serves `dir` over HTTP on 127.0.0.1, so that tfjs's own http handler (fetch) can load from it. */
export async function serveDirectory(dir: string): Promise<{url: string; close: () => Promise<void>}> {
  const server = http.createServer((request, response) => {
    const file = path.join(dir, decodeURIComponent(new URL(request.url!, 'http://x').pathname));
    fs.readFile(file, (error, data) => {
      response.writeHead(error ? 404 : 200);
      response.end(error ? '' : data);
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const {port} = server.address() as {port: number};
  return {url: `http://127.0.0.1:${port}`, close: () => new Promise(resolve => server.close(() => resolve()))};
}

/** A memory IOHandler: what model.save wrote, for tf.loadLayersModel(tf.io.fromMemory(...)). */
export async function saveToMemory(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async a => {
      artifacts = a;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
    })
  );
  return artifacts!;
}
