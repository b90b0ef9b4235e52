/**
 * The export format of the contract: one row per tenant, KPI and bucket, as CSV (RFC 4180
 * quoting) or JSON Lines, columns `tenant,kpi,granularity,bucket_start,value,count,p50,p95,p99`.
 */
import type { KpiSet } from '../aggregates';
import { formatBucket, GRANULARITIES, type Granularity } from '../time/buckets';

/** One exported KPI value. */
export interface ExportRow {
  /** Tenant id, or `*` for the fleet. */
  readonly tenant: string;
  readonly kpi: string;
  readonly granularity: Granularity;
  /** `2026-11-22T08:00:00Z` */
  readonly bucketStart: string;
  /** `null` when empty (a rate whose denominator is 0). */
  readonly value: number | null;
  readonly count: number;
  readonly p50?: number;
  readonly p95?: number;
  readonly p99?: number;
}

/** Column names, in order. */
export const EXPORT_COLUMNS: readonly string[] = [
  'tenant',
  'kpi',
  'granularity',
  'bucket_start',
  'value',
  'count',
  'p50',
  'p95',
  'p99',
];

/** A CSV text that is not in the export format. */
export class ExportParseError extends Error {
  constructor(line: number, why: string) {
    super(`CSV line ${line}: ${why}`);
    this.name = 'ExportParseError';
  }
}

/** The rows of one KpiSet (one tenant, one bucket), in the set's value order. */
export function exportRows(tenant: string, granularity: Granularity, bucketStartMs: number, set: KpiSet): ExportRow[] {
  const bucketStart = formatBucket(bucketStartMs);
  return set.values().map((v) => {
    const row: { -readonly [K in keyof ExportRow]: ExportRow[K] } = {
      tenant,
      kpi: v.kpi,
      granularity,
      bucketStart,
      value: v.value,
      count: v.count,
    };
    if (v.p50 !== undefined) row.p50 = v.p50;
    if (v.p95 !== undefined) row.p95 = v.p95;
    if (v.p99 !== undefined) row.p99 = v.p99;
    return row;
  });
}

/** RFC 4180: quote fields with comma, quote, CR or LF; double inner quotes. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function num(v: number | null | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

/** The rows as CSV (CRLF line ends, as RFC 4180 says), with a header line unless `header: false`. */
export function toCsv(rows: Iterable<ExportRow>, opts: { header?: boolean } = {}): string {
  const lines: string[] = [];
  if (opts.header ?? true) lines.push(EXPORT_COLUMNS.join(','));
  for (const r of rows) {
    lines.push(
      [
        csvField(r.tenant),
        csvField(r.kpi),
        r.granularity,
        r.bucketStart,
        num(r.value),
        String(r.count),
        num(r.p50),
        num(r.p95),
        num(r.p99),
      ].join(','),
    );
  }
  return lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`;
}

/** One JSON object per line, keys in column order, snake_case like the CSV header; absent quantiles omitted. */
export function toJsonLines(rows: Iterable<ExportRow>): string {
  let out = '';
  for (const r of rows) {
    const o: Record<string, string | number | null> = {
      tenant: r.tenant,
      kpi: r.kpi,
      granularity: r.granularity,
      bucket_start: r.bucketStart,
      value: r.value,
      count: r.count,
    };
    if (r.p50 !== undefined) o.p50 = r.p50;
    if (r.p95 !== undefined) o.p95 = r.p95;
    if (r.p99 !== undefined) o.p99 = r.p99;
    out += `${JSON.stringify(o)}\n`;
  }
  return out;
}

/** Splits CSV text into records of fields (RFC 4180: quoted fields may hold commas, quotes, newlines). */
function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  let any = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      any = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
      any = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      any = false;
    } else {
      field += c;
      any = true;
    }
    i++;
  }
  if (quoted) throw new ExportParseError(records.length + 1, 'unterminated quoted field');
  if (any || field !== '') {
    record.push(field);
    records.push(record);
  }
  return records;
}

function parseNum(text: string, line: number, column: string): number | undefined {
  if (text === '') return undefined;
  const v = Number(text);
  if (!Number.isFinite(v)) throw new ExportParseError(line, `${column} must be a number, found "${text}"`);
  return v;
}

/**
 * Parses {@link toCsv}'s output (header line required) back into rows.
 * @throws ExportParseError naming the line and column when the text is not in the export format
 */
export function parseCsv(text: string): ExportRow[] {
  const records = csvRecords(text);
  if (records.length === 0) return [];
  const header = records[0]!.join(',');
  if (header !== EXPORT_COLUMNS.join(',')) {
    throw new ExportParseError(1, `header must be ${EXPORT_COLUMNS.join(',')}`);
  }
  const rows: ExportRow[] = [];
  for (let i = 1; i < records.length; i++) {
    const line = i + 1;
    const f = records[i]!;
    if (f.length === 1 && f[0] === '') continue;
    if (f.length !== EXPORT_COLUMNS.length) {
      throw new ExportParseError(line, `expected ${EXPORT_COLUMNS.length} columns, found ${f.length}`);
    }
    const [tenant, kpi, granularity, bucketStart, value, count, p50, p95, p99] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!(GRANULARITIES as readonly string[]).includes(granularity)) {
      throw new ExportParseError(line, `granularity must be one of ${GRANULARITIES.join(', ')}`);
    }
    const row: { -readonly [K in keyof ExportRow]: ExportRow[K] } = {
      tenant,
      kpi,
      granularity: granularity as Granularity,
      bucketStart,
      value: parseNum(value, line, 'value') ?? null,
      count: parseNum(count, line, 'count') ?? 0,
    };
    const q50 = parseNum(p50, line, 'p50');
    const q95 = parseNum(p95, line, 'p95');
    const q99 = parseNum(p99, line, 'p99');
    if (q50 !== undefined) row.p50 = q50;
    if (q95 !== undefined) row.p95 = q95;
    if (q99 !== undefined) row.p99 = q99;
    rows.push(row);
  }
  return rows;
}
