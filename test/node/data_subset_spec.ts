// snn.data.fashionMnistSubsetDir / loadFashionMnistSubset: the Fashion-MNIST subset that ships with the package
// (issue 12, items 11 and 15: the README's and docs/data.md's examples load it without an unstated path).
import {readFileSync} from 'fs';
import {join, resolve} from 'path';
import {pathToFileURL} from 'url';
import {gunzipSync} from 'zlib';

import {data} from '../../src/index';

const root = resolve(__dirname, '../../../..');
const subset = join(root, 'data', 'fashion-mnist-subset');
const importEsm = new Function('url', 'return import(url)') as (
  url: string
) => Promise<typeof import('../../src/index')>;

/** The IDX file's payload after its header, read with zlib here (not through the code under test). */
function idxPayload(name: string, headerBytes: number): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(join(subset, name))).subarray(headerBytes));
}

describe('data.fashionMnistSubsetDir', () => {
  it("is the package's data/fashion-mnist-subset folder, from the sources and from both Node bundles", async () => {
    expect(data.fashionMnistSubsetDir()).toBe(subset);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the built CommonJS bundle
    expect(require(join(root, pkg.main)).data.fashionMnistSubsetDir()).toBe(subset);
    const esm = await importEsm(pathToFileURL(join(root, pkg.module)).href);
    expect(esm.data.fashionMnistSubsetDir()).toBe(subset);
  });
});

describe('data.loadFashionMnistSubset', () => {
  for (const [split, prefix, count] of [
    ['train', 'train', 2000],
    ['test', 't10k', 1000],
  ] as const) {
    it(`loads the ${count} ${split} images and labels as the files hold them`, async () => {
      const set = await data.loadFashionMnistSubset({split});
      expect([set.count, set.height, set.width, set.channels, set.classes, set.name]).toEqual([
        count,
        28,
        28,
        1,
        10,
        'fashion-mnist',
      ]);
      expect(set.images).toEqual(idxPayload(`${prefix}-images-idx3-ubyte.gz`, 16));
      expect(set.labels).toEqual(idxPayload(`${prefix}-labels-idx1-ubyte.gz`, 8));
    });
  }

  it('loads the training split by default', async () => {
    expect((await data.loadFashionMnistSubset()).count).toBe(2000);
  });

  it('rejects unknown options and splits', async () => {
    await expectAsync(data.loadFashionMnistSubset({split: 'validation'} as never)).toBeRejectedWithError(
      "loadFashionMnistSubset: option 'split' must be one of 'train', 'test'; got 'validation'"
    );
    await expectAsync(data.loadFashionMnistSubset({limit: 5} as never)).toBeRejectedWithError(
      "loadFashionMnistSubset: unknown option 'limit'; expected split"
    );
  });
});
