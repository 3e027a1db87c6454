// The browser side of io.loadLayersModel / io.fromUrl / io.fromFiles: the SHA-256 that io.fileSystem saves
// in model.json is checked with Web Crypto (crypto.subtle) when the page loads a model from a URL or files.
import * as tf from '@tensorflow/tfjs-core';

import {io} from '../../src/index';
import './setup'; // registers the cpu backend

// Written by test/tools/save_model_for_browser.ts (run by `npm run test:browser`) with io.fileSystem in Node.
const BASE = '/base/build/browser/node-models/poisson';

interface Expected {
  input: {shape: number[]; values: number[]};
  prediction: {shape: number[]; values: number[]};
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}; run npm run test:browser`);
  return response;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the promise to reject');
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), b => b.toString(16).padStart(2, '0')).join('');
}

describe('io.loadLayersModel in Chromium: SHA-256 of the weights checked with Web Crypto', () => {
  let json: {weightsManifest: Array<{paths: string[]; sha256?: string[]}>};
  let jsonText: string;
  let weights: ArrayBuffer;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    jsonText = await (await fetchOk(`${BASE}/model.json`)).text();
    json = JSON.parse(jsonText);
    weights = await (await fetchOk(`${BASE}/weights.bin`)).arrayBuffer();
  });

  it('the model saved by io.fileSystem in Node records the digest that Chromium computes for its weights', async () => {
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    // Known answer first, so that the comparison below is with a working SHA-256.
    expect(hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    );
    expect(json.weightsManifest[0].sha256).toEqual([hex(await crypto.subtle.digest('SHA-256', weights))]);
  });

  it("loads it from its URL, checking the digest through crypto.subtle, with Node's predictions", async () => {
    const expected = (await (await fetchOk(`${BASE}/expected.json`)).json()) as Expected;
    const digest = spyOn(crypto.subtle, 'digest').and.callThrough();
    const model = await io.loadLayersModel(`${BASE}/model.json`);
    expect(digest).toHaveBeenCalledTimes(1);
    const x = tf.tensor(expected.input.values, expected.input.shape);
    const prediction = model.predict(x) as tf.Tensor;
    expect(Array.from(await prediction.data())).toEqual(expected.prediction.values);
    tf.dispose([x, prediction]);
    model.dispose();
  });

  it('refuses picked files whose weights have one bit flipped, naming the file and both digests', async () => {
    const flipped = weights.slice(0);
    new Uint8Array(flipped)[13] ^= 0x10;
    const files = (bytes: ArrayBuffer) => [new File([jsonText], 'model.json'), new File([bytes], 'weights.bin')];
    const before = tf.memory().numTensors;
    const error = await rejection(io.loadLayersModel(io.fromFiles(files(flipped))));
    expect(error.message).toContain("the SHA-256 of the weights file 'weights.bin' does not match");
    expect(error.message).toContain(`model.json lists ${json.weightsManifest[0].sha256![0]}`);
    expect(error.message).toContain(`the file has ${hex(await crypto.subtle.digest('SHA-256', flipped))}`);
    expect(tf.memory().numTensors).toBe(before);
    const model = await io.loadLayersModel(io.fromFiles(files(weights)));
    expect(model.weights.length).toBeGreaterThan(0);
    model.dispose();
  });

  it('loads picked files whose model.json has no digest, without checking one', async () => {
    const plain = JSON.parse(jsonText);
    delete plain.weightsManifest[0].sha256;
    const digest = spyOn(crypto.subtle, 'digest').and.callThrough();
    const model = await io.loadLayersModel(
      io.fromFiles([new File([weights], 'weights.bin'), new File([JSON.stringify(plain)], 'model.json')])
    );
    expect(digest).not.toHaveBeenCalled();
    expect(model.weights.length).toBeGreaterThan(0);
    model.dispose();
  });
});
