/**
 * Reads CloudWatch Embedded Metric Format documents (as Powertools Metrics writes them, one JSON
 * object per line) into {@link MetricDatum}s. Each `_aws.CloudWatchMetrics[]` directive names a
 * namespace, dimension sets and metrics; the values sit at the top level under the metric name
 * (a number, an array of numbers, or `{ Values, Counts }`), as do the dimension values.
 * Lines that are not EMF (plain log lines) are skipped; malformed EMF documents are errors.
 */
import { AlarmEvaluationError, type MetricDatum } from './types';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numbers(v: unknown, where: string): number[] {
  const arr = Array.isArray(v) ? v : [v];
  return arr.map((x) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new AlarmEvaluationError(`${where}: ${JSON.stringify(x)} is not a finite number`);
    }
    return x;
  });
}

/**
 * Parses EMF lines.
 * @param lines one JSON document per line; blank and non-JSON lines are skipped
 * @throws AlarmEvaluationError naming the line for an EMF document that breaks the format
 */
export function parseEmfLines(lines: readonly string[]): MetricDatum[] {
  const out: MetricDatum[] = [];
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (!line.startsWith('{')) return;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      return;
    }
    if (!isObject(doc) || !isObject(doc._aws)) return;
    const where = `EMF line ${index + 1}`;
    const aws = doc._aws;
    const ts = aws.Timestamp;
    if (typeof ts !== 'number' || !Number.isFinite(ts)) {
      throw new AlarmEvaluationError(`${where}: _aws.Timestamp must be epoch milliseconds`);
    }
    const directives = aws.CloudWatchMetrics;
    if (!Array.isArray(directives)) throw new AlarmEvaluationError(`${where}: _aws.CloudWatchMetrics must be an array`);
    for (const dir of directives) {
      if (!isObject(dir) || typeof dir.Namespace !== 'string' || !Array.isArray(dir.Metrics)) {
        throw new AlarmEvaluationError(`${where}: each CloudWatchMetrics entry needs Namespace and Metrics`);
      }
      const sets: unknown[] = Array.isArray(dir.Dimensions) && dir.Dimensions.length > 0 ? dir.Dimensions : [[]];
      for (const set of sets) {
        if (!Array.isArray(set)) throw new AlarmEvaluationError(`${where}: Dimensions must be arrays of names`);
        const dimensions: Record<string, string> = {};
        for (const name of set) {
          const v = typeof name === 'string' ? doc[name] : undefined;
          if (typeof name !== 'string' || (typeof v !== 'string' && typeof v !== 'number')) {
            throw new AlarmEvaluationError(`${where}: dimension ${String(name)} has no string value in the document`);
          }
          dimensions[name] = String(v);
        }
        for (const m of dir.Metrics) {
          if (!isObject(m) || typeof m.Name !== 'string') {
            throw new AlarmEvaluationError(`${where}: each metric definition needs a Name`);
          }
          const value = doc[m.Name];
          if (value === undefined) continue;
          if (isObject(value)) {
            const values = numbers(value.Values, `${where} ${m.Name}.Values`);
            const counts = value.Counts === undefined ? undefined : numbers(value.Counts, `${where} ${m.Name}.Counts`);
            out.push({ namespace: dir.Namespace, name: m.Name, dimensions, timestampMs: ts, values, counts });
          } else {
            out.push({
              namespace: dir.Namespace,
              name: m.Name,
              dimensions,
              timestampMs: ts,
              values: numbers(value, `${where} ${m.Name}`),
            });
          }
        }
      }
    }
  });
  return out;
}
