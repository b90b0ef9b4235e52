/**
 * The values themselves of a quantile KPI, as experiment items keep them while few, so the rank
 * test of an experiment runs on the values instead of on sketch bins (see
 * lambdas/core/experiments/mann-whitney.ts).
 *
 * Stored sorted: the order of observation means nothing, and sorted values make equal states
 * serialize to equal bytes. Integers (latencies in ms) are written as varint deltas, 1-2 bytes
 * each; anything else as float64.
 */
import { AggregateDecodeError, type ByteReader, type ByteWriter } from './codec';

/**
 * Most values a stored quantile state keeps (per KPI, per item). Beyond it the item keeps the
 * sketch only, and tests read bins. At 1-2 bytes per integer value, a full list costs ~1-2 KB.
 */
export const EXACT_VALUES_CAP = 1_000;

const INTEGERS = 0;
const FLOATS = 1;

/**
 * Writes `values` (or their absence: null, or more than {@link EXACT_VALUES_CAP}) as a varint
 * length + 1 (0: absent), a mode byte and the sorted values.
 */
export function writeValueList(w: ByteWriter, values: number[] | null): void {
  if (values === null || values.length > EXACT_VALUES_CAP) {
    w.varint(0);
    return;
  }
  w.varint(values.length + 1);
  if (values.length === 0) return;
  // Sorting in place is harmless: the order of a state's values carries no meaning.
  values.sort((a, b) => a - b);
  const first = values[0]!;
  const last = values[values.length - 1]!;
  if (values.every(Number.isSafeInteger) && Number.isSafeInteger(last - first)) {
    w.byte(INTEGERS);
    w.byte(first < 0 ? 1 : 0);
    w.varint(Math.abs(first));
    for (let i = 1; i < values.length; i++) w.varint(values[i]! - values[i - 1]!);
    return;
  }
  w.byte(FLOATS);
  for (const v of values) w.f64(v);
}

/**
 * Reads {@link writeValueList}'s output: the values in ascending order, or null when absent.
 * @throws AggregateDecodeError on an unknown mode or a list longer than the cap
 */
export function readValueList(r: ByteReader): number[] | null {
  const len = r.varint() - 1;
  if (len < 0) return null;
  if (len > EXACT_VALUES_CAP) throw new AggregateDecodeError(`value list of ${len} exceeds ${EXACT_VALUES_CAP}`);
  const out = new Array<number>(len);
  if (len === 0) return out;
  const mode = r.byte();
  if (mode === INTEGERS) {
    const negative = r.byte() === 1;
    let v = r.varint();
    out[0] = negative ? -v : v;
    v = out[0];
    for (let i = 1; i < len; i++) {
      v += r.varint();
      out[i] = v;
    }
    return out;
  }
  if (mode !== FLOATS) throw new AggregateDecodeError(`unknown value list mode ${mode}`);
  for (let i = 0; i < len; i++) out[i] = r.f64();
  return out;
}
