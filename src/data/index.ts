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
export {createEvents} from './events/events';
export type {EventArrays, EventDataset, Events, SensorSize} from './events/events';
export {loadNmnist, NMNIST_SENSOR_SIZE, parseNmnist, readNmnist} from './events/nmnist';
export type {EventDatasetOptions, ParseEventsOptions} from './events/nmnist';
export {DVS_GESTURE_CLASSES, DVS_GESTURE_SENSOR_SIZE, loadDvsGesture, parseAedat3, parseGestureLabels} from './events/aedat';
export type {GestureLabel} from './events/aedat';
export {parseNpyEvents} from './events/npy';
export {stackFrames, toFrames} from './events/to_frames';
export type {EventFrames, ToFramesOptions} from './events/to_frames';
export {denoise, downsample} from './events/filters';
export type {DenoiseOptions, DownsampleOptions} from './events/filters';
export {splitEvents} from './events/split';
export type {SplitEventsOptions} from './events/split';
export {SYNTHETIC_EVENT_CLASSES, syntheticEvents} from './events/synthetic';
export type {SyntheticEventsOptions} from './events/synthetic';
export {eventBatches, eventFrameShape, eventTensors} from './events/batches';
export type {EventBatch, EventBatchOptions, EventFramingOptions} from './events/batches';
