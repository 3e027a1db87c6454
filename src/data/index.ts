/**
 * Datasets for training and evaluating SNNs: readers for the IDX (MNIST, Fashion-MNIST) and
 * CIFAR binary formats, normalisation, seeded shuffling and augmentation, and batches as
 * tensors. Parsing works on bytes anywhere; the file readers (loadIdxDataset, readIdx,
 * loadCifarDataset) need Node.js and load node:fs / node:zlib only when called. Guide: docs/data.md.
 *
 * @module
 */
export type {DatasetName, ImageDataset} from './dataset';
export {decodeIdx, idxFileNames, loadIdxDataset, parseIdx, readIdx} from './idx';
export type {IdxArray, IdxData, IdxDatasetOptions, IdxDtype, Split} from './idx';
export {cifarClasses, loadCifarDataset, parseCifar} from './cifar';
export type {CifarDatasetOptions, CifarLabelMode, CifarOptions, CifarRecords, CifarVariant} from './cifar';
export {gunzip, isGzip} from './files';
export {fashionMnistSubsetDir, loadFashionMnistSubset} from './subset';
export {augmentationSeed, batchCount, batches, cropAndFlip, drawAugmentation, mulberry32, normalizationTable,
        normalize, NORMALIZATION, randomIndex, resolveNormalization, seededShuffle, toTensors} from './pipeline';
export type {AugmentOptions, AugmentParams, Batch, BatchOptions, NormalizationStats, NormalizeOption,
             ToTensorsOptions} from './pipeline';
