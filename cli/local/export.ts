/** The export stage: kpis.csv and rejected.ndjson, as `kpi export` and the quarantine hold them. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDbKpiReader } from '../../lambdas/adapters/kpi-reader-dynamodb';
import type { QuarantinedRecord } from '../../lambdas/adapters/quarantine-s3';
import { FLEET_TENANT } from '../../lambdas/core/aggregation';
import type { PipelineConfig } from '../../lambdas/core/config/schema';
import { type ExportRow, toCsv } from '../../lambdas/core/export';
import { readExportRows } from '../../lambdas/core/kpi-reader';
import { GRANULARITIES } from '../../lambdas/core/time/buckets';

/** Tenants with KPI rows: the configured ones, plus the fleet. */
function exportTenants(config: PipelineConfig): string[] {
  return [FLEET_TENANT, ...config.tenants.map((t) => t.id)];
}

/** Writes kpis.csv: every tenant and the fleet, at every granularity, in the export format. */
export async function writeKpisCsv(
  dir: string,
  reader: DynamoDbKpiReader,
  config: PipelineConfig,
  fromMs: number,
  toMs: number,
): Promise<string> {
  const rows: ExportRow[] = [];
  for (const tenant of exportTenants(config)) {
    for (const granularity of GRANULARITIES) {
      rows.push(...(await readExportRows(reader, { tenant, granularity, fromMs, toMs })));
    }
  }
  const path = join(dir, 'kpis.csv');
  writeFileSync(path, toCsv(rows, { header: true }));
  return path;
}

/** Writes rejected.ndjson from the quarantine bucket: one line per quarantined record. */
export async function writeRejected(dir: string, s3: S3Client, bucket: string): Promise<string> {
  const lines: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const obj of page.Contents ?? []) {
      if (obj.Key === undefined) continue;
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: obj.Key }));
      const record = JSON.parse((await body.Body?.transformToString()) ?? '{}') as QuarantinedRecord;
      lines.push(JSON.stringify({ key: obj.Key, ...record }));
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  const path = join(dir, 'rejected.ndjson');
  writeFileSync(path, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  return path;
}
