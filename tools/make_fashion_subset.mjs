#!/usr/bin/env node
// Makes data/fashion-mnist-subset: a fixed, class-balanced subset of Fashion-MNIST in the
// IDX gz format (the four standard file names, so loadIdxDataset reads it unchanged), with
// its README.md (source, selection rule, checksums) and the dataset's MIT LICENSE.
//
//   node tools/make_fashion_subset.mjs [sourceDir] [outDir]
//
// sourceDir defaults to /usr/share/datasets/fashion-mnist (Debian: apt-get install
// dataset-fashion-mnist), outDir to data/fashion-mnist-subset. Selection: for each split,
// walk the source in file order and keep an image while fewer than PER_CLASS images of its
// class have been kept; the kept images stay in file order.
import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {gunzipSync, gzipSync} from 'node:zlib';

const SOURCE_DIR = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const OUT_DIR = process.argv[3] ?? 'data/fashion-mnist-subset';
const COPYRIGHT_FILE = '/usr/share/doc/dataset-fashion-mnist/copyright';
const CLASSES = 10;
const SPLITS = [
  {split: 'train', prefix: 'train', perClass: 200},
  {split: 'test', prefix: 't10k', perClass: 100},
];

function debianPackageVersion() {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'dataset-fashion-mnist'], {encoding: 'utf8'});
  } catch {
    return null;
  }
}

const sha256 = bytes => createHash('sha256').update(bytes).digest('hex');

function readIdx(path, expectedDims) {
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08 || bytes[3] !== expectedDims) {
    throw new Error(`${path}: expected a uint8 IDX file with ${expectedDims} dimensions`);
  }
  const shape = Array.from({length: expectedDims}, (_, i) => view.getUint32(4 + 4 * i, false));
  const header = 4 + 4 * expectedDims;
  const size = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== header + size) throw new Error(`${path}: size does not match its shape`);
  return {shape, data: bytes.subarray(header)};
}

function idxBytes(shape, data) {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((dim, i) => header.writeUInt32BE(dim, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

// gzip with no file name and mtime 0 (Node's default header); the OS byte is set to 255
// ("unknown") so the bytes do not depend on the platform either.
function deterministicGzip(bytes) {
  const gz = gzipSync(bytes, {level: 9});
  gz[9] = 0xff;
  return gz;
}

function selectBalanced(labels, perClass) {
  const kept = new Array(CLASSES).fill(0);
  const indices = [];
  for (let i = 0; i < labels.length && indices.length < perClass * CLASSES; i++) {
    if (kept[labels[i]] < perClass) {
      kept[labels[i]]++;
      indices.push(i);
    }
  }
  if (kept.some(n => n !== perClass)) throw new Error(`not enough images per class: ${kept}`);
  return indices;
}

function makeSplit({prefix, perClass}, checksums) {
  const imagesName = `${prefix}-images-idx3-ubyte.gz`;
  const labelsName = `${prefix}-labels-idx1-ubyte.gz`;
  const images = readIdx(join(SOURCE_DIR, imagesName), 3);
  const labels = readIdx(join(SOURCE_DIR, labelsName), 1);
  const [, height, width] = images.shape;
  const imageSize = height * width;
  const indices = selectBalanced(labels.data, perClass);
  const pickedImages = Buffer.alloc(indices.length * imageSize);
  indices.forEach((source, k) =>
    pickedImages.set(images.data.subarray(source * imageSize, (source + 1) * imageSize), k * imageSize)
  );
  const pickedLabels = Buffer.from(indices.map(source => labels.data[source]));
  const outputs = [
    [imagesName, idxBytes([indices.length, height, width], pickedImages)],
    [labelsName, idxBytes([indices.length], pickedLabels)],
  ];
  for (const [name, raw] of outputs) {
    const gz = deterministicGzip(raw);
    writeFileSync(join(OUT_DIR, name), gz);
    const sourceGz = readFileSync(join(SOURCE_DIR, name));
    checksums.push({
      name,
      source: sha256(sourceGz),
      sourceRaw: sha256(gunzipSync(sourceGz)),
      output: sha256(gz),
      outputRaw: sha256(raw),
      bytes: gz.length,
    });
  }
  return {count: indices.length, lastSourceIndex: indices[indices.length - 1]};
}

function licenseText() {
  // The Expat (MIT) licence text of Debian's copyright file (its last paragraph).
  const lines = readFileSync(COPYRIGHT_FILE, 'utf8').split('\n');
  const start = lines.lastIndexOf('License: Expat');
  const body = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith(' ')) break;
    body.push(line.trim() === '.' ? '' : line.slice(1).trimEnd());
  }
  if (start < 0 || body.length === 0) throw new Error(`${COPYRIGHT_FILE}: no Expat licence text`);
  return (
    `The MIT License (MIT)\n\nCopyright (c) 2017 Zalando SE, https://tech.zalando.com\n\n` + `${body.join('\n')}\n`
  );
}

function readme(splits, checksums) {
  const version = debianPackageVersion();
  const rows = checksums.map(
    c =>
      `| ${c.name} | source (.gz) | ${c.source} |\n` +
      `| | source, uncompressed | ${c.sourceRaw} |\n` +
      `| | output (.gz, ${c.bytes} bytes) | ${c.output} |\n` +
      `| | output, uncompressed | ${c.outputRaw} |`
  );
  return `# Fashion-MNIST subset

A small, fixed, class-balanced subset of [Fashion-MNIST](https://github.com/zalandoresearch/fashion-mnist)
(Xiao, Rasul & Vollgraf 2017), embedded so that examples and tests can train and evaluate without
downloading the dataset. Licence: MIT, Copyright (c) 2017 Zalando SE (see [LICENSE](LICENSE)).

| split | images | per class | source images used |
|---|---|---|---|
${splits.map(s => `| ${s.split} | ${s.count} | ${s.perClass} | indices 0..${s.lastSourceIndex} of the source file |`).join('\n')}

Images are 28 × 28 uint8, labels 0..9 (T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt,
Sneaker, Bag, Ankle boot). The files use the standard IDX names, gzipped, so
\`loadIdxDataset('data/fashion-mnist-subset', {split, name: 'fashion-mnist'})\` reads them unchanged.

## Selection rule

For each split, walk the source file in order and keep an image while fewer than 200 (train) or
100 (test) images of its class have been kept: the first 200 / 100 images of every class, in file
order. The kept images stay in source file order (the classes stay interleaved as in the source).

## How it was made

Source: the Debian package \`dataset-fashion-mnist\`${version ? ` ${version}` : ''} (\`apt-get install
dataset-fashion-mnist\`; its .gz files may differ from upstream's downloads in the gzip header,
so the checksums of the uncompressed data are listed too), files under
\`/usr/share/datasets/fashion-mnist\`. Command, from the repository root:

    node tools/make_fashion_subset.mjs ${SOURCE_DIR} ${OUT_DIR}

The gzip output has no file name, mtime 0 and OS byte 255, so a rerun gives identical bytes with
the same zlib; the sha256 of the uncompressed IDX data (column "output, uncompressed") does not
depend on the zlib version at all.

## sha256

| file | of | sha256 |
|---|---|---|
${rows.join('\n')}
`;
}

function main() {
  if (!existsSync(SOURCE_DIR)) {
    throw new Error(
      `${SOURCE_DIR} does not exist; install it with apt-get install dataset-fashion-mnist ` +
        `or pass the directory holding the four Fashion-MNIST .gz files`
    );
  }
  mkdirSync(OUT_DIR, {recursive: true});
  const checksums = [];
  const splits = SPLITS.map(spec => ({...spec, ...makeSplit(spec, checksums)}));
  writeFileSync(join(OUT_DIR, 'LICENSE'), licenseText());
  writeFileSync(join(OUT_DIR, 'README.md'), readme(splits, checksums));
  for (const c of checksums) console.log(`${c.name}: ${c.bytes} bytes`);
}

main();
