import { parse as parseWithCsvParse } from 'csv-parse/sync';
import fc from 'fast-check';
import { KpiSet } from '../../lambdas/core/aggregates';
import { KpiCatalog } from '../../lambdas/core/catalog';
import {
  EXPORT_COLUMNS,
  ExportParseError,
  type ExportRow,
  exportRows,
  parseCsv,
  toCsv,
  toJsonLines,
} from '../../lambdas/core/export';
import { DEFAULT_EVENT_TIME_MS, makeEvent } from '../support/events';

const catalog = KpiCatalog.builtIn();

function sampleSet(): KpiSet {
  const s = new KpiSet(catalog);
  s.observe(makeEvent('agent.turn.completed', { data: { totalMs: 1000 } }));
  s.observe(makeEvent('escalation.reviewed', { data: { predicted: false, actual: false } }));
  s.observe(makeEvent('user.active', { data: { feature: 'search, "beta"' } }));
  return s;
}

describe('export rows', () => {
  it('one row per KPI value, with the bucket, and quantiles only on quantile KPIs', () => {
    const rows = exportRows('acme', 'minute', DEFAULT_EVENT_TIME_MS, sampleSet());
    const latency = rows.find((r) => r.kpi === 'response_latency')!;
    expect(latency).toMatchObject({
      tenant: 'acme',
      granularity: 'minute',
      bucketStart: '2026-11-22T08:00:00Z',
      value: 1000,
      count: 1,
    });
    expect(Math.abs(latency.p95! - 1000) / 1000).toBeLessThanOrEqual(0.01);
    const turns = rows.find((r) => r.kpi === 'turns')!;
    expect(turns).toEqual({
      tenant: 'acme',
      kpi: 'turns',
      granularity: 'minute',
      bucketStart: '2026-11-22T08:00:00Z',
      value: 1,
      count: 1,
    });
    expect(rows.find((r) => r.kpi === 'escalation_precision')?.value).toBeNull();
  });
});

describe('CSV', () => {
  it('has the contract columns in order and leaves empty values blank', () => {
    const csv = toCsv(exportRows('*', 'hour', DEFAULT_EVENT_TIME_MS, sampleSet()));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('tenant,kpi,granularity,bucket_start,value,count,p50,p95,p99');
    expect(EXPORT_COLUMNS.join(',')).toBe(lines[0]);
    expect(lines).toContain('*,escalation_precision,hour,2026-11-22T08:00:00Z,,0,,,');
    expect(lines).toContain('*,turns,hour,2026-11-22T08:00:00Z,1,1,,,');
  });

  it('quotes fields with commas, quotes and newlines (RFC 4180)', () => {
    const csv = toCsv(exportRows('acme', 'day', DEFAULT_EVENT_TIME_MS, sampleSet()), { header: false });
    expect(csv).toContain('acme,"feature_adoption:search, ""beta""",day,');
    const parsed = parseCsv(
      toCsv([{ tenant: 'a\nb', kpi: 'x', granularity: 'day', bucketStart: 's', value: 1, count: 1 }]),
    );
    expect(parsed[0]!.tenant).toBe('a\nb');
  });

  it('round-trips any rows through CSV', () => {
    const arbRow: fc.Arbitrary<ExportRow> = fc.record(
      {
        tenant: fc.string(),
        kpi: fc.string(),
        granularity: fc.constantFrom('minute' as const, 'hour' as const, 'day' as const),
        bucketStart: fc.constant('2026-11-22T08:00:00Z'),
        value: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
        count: fc.nat(),
        p50: fc.double({ noNaN: true, noDefaultInfinity: true }),
        p95: fc.double({ noNaN: true, noDefaultInfinity: true }),
        p99: fc.double({ noNaN: true, noDefaultInfinity: true }),
      },
      { requiredKeys: ['tenant', 'kpi', 'granularity', 'bucketStart', 'value', 'count'] },
    );
    fc.assert(
      fc.property(fc.array(arbRow, { maxLength: 20 }), (rows) => {
        // -0 prints as 0 in CSV; compare the numbers CSV can carry.
        const norm = (r: ExportRow) => JSON.parse(JSON.stringify(r));
        expect(parseCsv(toCsv(rows)).map(norm)).toEqual(rows.map(norm));
      }),
    );
  });

  it('writes CSV that an independent RFC 4180 parser (csv-parse) reads back field for field', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            tenant: fc.string(),
            kpi: fc.string(),
            value: fc.option(fc.integer(), { nil: null }),
            count: fc.nat(),
          }),
          { maxLength: 20 },
        ),
        (partial) => {
          const rows: ExportRow[] = partial.map((r) => ({
            ...r,
            granularity: 'hour',
            bucketStart: '2026-11-22T08:00:00Z',
          }));
          const records: string[][] = parseWithCsvParse(toCsv(rows), { relax_column_count: false });
          expect(records[0]).toEqual([...EXPORT_COLUMNS]);
          expect(records.slice(1).map((f) => [f[0], f[1], f[4], f[5]])).toEqual(
            rows.map((r) => [r.tenant, r.kpi, r.value === null ? '' : String(r.value), String(r.count)]),
          );
        },
      ),
    );
  });

  it('reports the line of malformed CSV', () => {
    expect(() => parseCsv('tenant,kpi\r\n')).toThrow(ExportParseError);
    expect(() => parseCsv(`${EXPORT_COLUMNS.join(',')}\r\nacme,x,week,s,1,1,,,\r\n`)).toThrow(/line 2: granularity/);
    expect(() => parseCsv(`${EXPORT_COLUMNS.join(',')}\r\nacme,x,day,s,abc,1,,,\r\n`)).toThrow(/line 2: value/);
    expect(() => parseCsv(`${EXPORT_COLUMNS.join(',')}\r\n"acme,x`)).toThrow(/unterminated/);
  });
});

describe('JSON Lines', () => {
  it('writes one object per line with snake_case keys in column order', () => {
    const text = toJsonLines(exportRows('acme', 'minute', DEFAULT_EVENT_TIME_MS, sampleSet()));
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const latency = lines.find((l) => l.kpi === 'response_latency')!;
    expect(Object.keys(latency)).toEqual(EXPORT_COLUMNS);
    expect(lines.find((l) => l.kpi === 'escalation_precision')).toEqual({
      tenant: 'acme',
      kpi: 'escalation_precision',
      granularity: 'minute',
      bucket_start: '2026-11-22T08:00:00Z',
      value: null,
      count: 0,
    });
    expect(text.endsWith('\n')).toBe(true);
  });
});
