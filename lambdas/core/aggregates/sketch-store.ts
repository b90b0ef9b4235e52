/**
 * Quantile sketches as the KPI states keep them: DDSketch (1% relative accuracy) with stores
 * sized to their used key range, merged and copied without DenseStore's re-centring, and written
 * as (key delta, count) varint pairs.
 */
import { DDSketch } from '@datadog/sketches-js';
import { AggregateDecodeError, type ByteReader, type ByteWriter } from './codec';

/** Relative accuracy of quantile sketches (1%, from the contract). */
export const QUANTILE_RELATIVE_ACCURACY = 0.01;

/** Growth step of a sketch's bins while observing (DenseStore's default, 128, is mostly empty space in a minute). */
const OBSERVE_CHUNK = 32;

/** An empty sketch at {@link QUANTILE_RELATIVE_ACCURACY}, growing in small steps while observing. */
export function newSketch(): DDSketch {
  const sketch = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
  sketch.store.chunkSize = OBSERVE_CHUNK;
  sketch.negativeStore.chunkSize = OBSERVE_CHUNK;
  return sketch;
}

/**
 * Sketch bins as (key delta, count) varint pairs. The package's own `toProto` writes every count
 * as a double and needs protobufjs at run time; this form is 2-3 bytes per used bin and only
 * uses the sketch's public store API, so the bins (and quantiles) come back exactly.
 */
/** Positions of the used bins of the sketch being written (grown as needed, reused: serialize is synchronous). */
let usedBins = new Int32Array(256);

function writeBins(w: ByteWriter, store: DDSketch['store']): void {
  const bins = store.bins;
  // Bins outside [minKey, maxKey] are empty; one scan of that range collects the used ones.
  const from = Math.max(0, store.minKey - store.offset);
  const to = Math.min(bins.length - 1, store.maxKey - store.offset);
  if (to - from + 1 > usedBins.length) usedBins = new Int32Array(to - from + 1);
  let used = 0;
  for (let i = from; i <= to; i++) if (bins[i]! > 0) usedBins[used++] = i;
  w.varint(used);
  let prev = 0;
  for (let j = 0; j < used; j++) {
    const i = usedBins[j]!;
    const key = i + store.offset;
    const delta = key - prev;
    w.varint(delta >= 0 ? delta * 2 : -delta * 2 - 1);
    w.varint(bins[i]!);
    prev = key;
  }
}

/** Bin keys a sketch may hold: far beyond any finite double at 1% accuracy, so only corrupt data exceeds it. */
const MAX_BIN_KEY = 100_000;

/*
 * Stores built here (read, copied, merged) hold exactly their key range, [minKey, maxKey] at
 * offset minKey, where DenseStore itself grows by 128 bins: most sketches of a minute or an item
 * hold a few values, and 128-bin arrays per sketch were most of the garbage the aggregator made.
 * DenseStore accepts any such layout (it grows from whatever length it finds), and serialization
 * and quantiles depend only on the non-zero bins, so results are unchanged.
 */

/**
 * Reads {@link writeBins}' pairs straight into the store's bins: one allocation sized to the key
 * range, where `store.add` per bin would grow and re-centre the array many times.
 */
function readBins(r: ByteReader, store: DDSketch['store']): void {
  const n = r.varint();
  if (n === 0) return;
  if (n > 2 * MAX_BIN_KEY + 1) throw new AggregateDecodeError('too many sketch bins');
  const keys = new Array<number>(n);
  const counts = new Array<number>(n);
  let key = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const z = r.varint();
    key += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    const c = r.varint();
    if (c === 0 || Math.abs(key) > MAX_BIN_KEY) throw new AggregateDecodeError('sketch bin out of range');
    keys[i] = key;
    counts[i] = c;
    if (key < min) min = key;
    if (key > max) max = key;
  }
  const bins = new Array<number>(max - min + 1).fill(0);
  let total = 0;
  for (let i = 0; i < n; i++) {
    bins[keys[i]! - min] += counts[i]!;
    total += counts[i]!;
  }
  if (!Number.isSafeInteger(total)) throw new AggregateDecodeError('sketch count out of range');
  store.bins = bins;
  store.offset = min;
  store.minKey = min;
  store.maxKey = max;
  store.count = total;
}

/** Copies a store's used bins (DenseStore.copy spreads all of them through a generic helper, several times slower). */
function copyStore(dst: DDSketch['store'], src: DDSketch['store']): void {
  dst.count = src.count;
  dst.minKey = src.minKey;
  dst.maxKey = src.maxKey;
  if (src.count === 0 || src.maxKey < src.minKey) {
    dst.bins = [];
    dst.offset = 0;
    return;
  }
  dst.bins = src.bins.slice(src.minKey - src.offset, src.maxKey - src.offset + 1);
  dst.offset = src.minKey;
}

/** Writes a sketch: its zero count, then the positive and negative bins. */
export function writeSketch(w: ByteWriter, sketch: DDSketch): void {
  w.varint(sketch.zeroCount);
  writeBins(w, sketch.store);
  writeBins(w, sketch.negativeStore);
}

/**
 * Reads {@link writeSketch}'s output.
 * @throws AggregateDecodeError when a bin is out of range
 */
export function readSketch(r: ByteReader): DDSketch {
  const sketch = newSketch();
  sketch.zeroCount = r.varint();
  readBins(r, sketch.store);
  readBins(r, sketch.negativeStore);
  sketch.count = sketch.zeroCount + sketch.store.count + sketch.negativeStore.count;
  return sketch;
}

/** Spare bins on each side when a merge grows a store. */
const MERGE_SLACK = 8;

/**
 * Adds `src`'s bins into `dst`, growing `dst` once to the union of both key ranges. Same result
 * as DenseStore.merge, which re-centres its array (slice + unshift, two allocations) each time
 * the range grows: merging many minute sketches into an hour did that over and over.
 */
function mergeStore(dst: DDSketch['store'], src: DDSketch['store']): void {
  if (src.count === 0) return;
  if (dst.count === 0) {
    copyStore(dst, src);
    return;
  }
  const min = src.minKey < dst.minKey ? src.minKey : dst.minKey;
  const max = src.maxKey > dst.maxKey ? src.maxKey : dst.maxKey;
  if (min < dst.offset || max >= dst.offset + dst.bins.length) {
    // A little room on both sides: merging many minutes widens a range a few bins at a time.
    const offset = min - MERGE_SLACK;
    const bins = new Array<number>(max - min + 1 + 2 * MERGE_SLACK).fill(0);
    const old = dst.bins;
    for (let k = dst.minKey; k <= dst.maxKey; k++) bins[k - offset] = old[k - dst.offset]!;
    dst.bins = bins;
    dst.offset = offset;
  }
  dst.minKey = min;
  dst.maxKey = max;
  const bins = dst.bins;
  const from = src.bins;
  const shift = src.offset - dst.offset;
  for (let i = src.minKey - src.offset; i <= src.maxKey - src.offset; i++) {
    const c = from[i]!;
    if (c !== 0) bins[i + shift] += c;
  }
  dst.count += src.count;
}

/** Copies everything DDSketch.merge copies into an empty sketch (its `_copy`). */
function copySketch(dst: DDSketch, src: DDSketch): void {
  copyStore(dst.store, src.store);
  copyStore(dst.negativeStore, src.negativeStore);
  dst.zeroCount = src.zeroCount;
  dst.min = src.min;
  dst.max = src.max;
  dst.count = src.count;
  dst.sum = src.sum;
}

/**
 * DDSketch.merge with {@link mergeStore}. Kept faithful to the package, including that it merges
 * only the positive store when both sketches hold data (negative values cannot reach a sketch:
 * the event schemas require durations >= 0).
 */
export function mergeSketch(dst: DDSketch, src: DDSketch): void {
  if (src.count === 0) return;
  if (dst.count === 0) {
    copySketch(dst, src);
    return;
  }
  mergeStore(dst.store, src.store);
  dst.zeroCount += src.zeroCount;
  dst.count += src.count;
  dst.sum += src.sum;
  if (src.min < dst.min) dst.min = src.min;
  if (src.max > dst.max) dst.max = src.max;
}

/** A deep copy of `src`, its stores holding exactly their used key range. */
export function cloneSketch(src: DDSketch): DDSketch {
  const sketch = newSketch();
  mergeSketch(sketch, src);
  return sketch;
}
