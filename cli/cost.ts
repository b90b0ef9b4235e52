/**
 * `npm run cost -- [--events-per-tenant-per-day N] [--config PATH] [--tenants 10,100,1000]`:
 * the monthly AWS cost of a deployment of this configuration at 10, 100 and 1,000 tenants, item
 * by item, with the dated price list and the traffic assumptions it rests on.
 */
import { parseArgs } from 'node:util';
import { catalogFor } from '../lambdas/core/catalog/for-config';
import type { PipelineConfig } from '../lambdas/core/config/schema';
import { ConfigurationError } from '../lambdas/core/configuration-error';
import {
  type CostEstimate,
  CostInputError,
  DEFAULT_ASSUMPTIONS,
  estimateMonthlyCost,
  TENANT_EVALUATION_BASIS,
  US_EAST_1_PRICES,
} from '../lambdas/core/cost/estimate';
import { type EvaluatorKpiRead, evaluatorKpiReads } from '../lambdas/core/cost/tenant-alarm-reads';
import { tenantAlarmPlans } from '../lambdas/core/tenant-alarms/plan';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../lib/config/load';

const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** Renders estimates side by side as a Markdown table (one column per tenant count). */
export function costTable(estimates: readonly CostEstimate[]): string {
  const header = `| item | ${estimates.map((e) => `${e.tenants.toLocaleString('en-US')} tenants`).join(' | ')} |`;
  const rule = `|---|${estimates.map(() => '---:').join('|')}|`;
  const items = estimates[0]?.lines.map((l) => l.item) ?? [];
  const rows = items.map((item) => {
    const cells = estimates.map((e) => {
      const line = e.lines.find((l) => l.item === item);
      return line === undefined ? '' : `${usd(line.usd)} (${line.quantity})`;
    });
    return `| ${item} | ${cells.join(' | ')} |`;
  });
  const total = `| **total / month** | ${estimates.map((e) => `**${usd(e.totalUsd)}**`).join(' | ')} |`;
  return [header, rule, ...rows, total].join('\n');
}

/** The evaluator's reads of one minute, in words (cost/tenant-alarm-reads.ts). */
function describeReads(config: PipelineConfig): string {
  const [plan] = tenantAlarmPlans(config, catalogFor(config), ['cost-estimate']);
  if (plan === undefined) return 'none';
  const span = (r: EvaluatorKpiRead) =>
    r.granularity === 'hour'
      ? `${r.lookbackMs / 3_600_000} h of hour buckets`
      : `${r.lookbackMs / 60_000} min of minute buckets`;
  const reads = evaluatorKpiReads([plan]);
  const own = reads.filter((r) => r.scope === 'tenant').map(span);
  const fleet = reads.filter((r) => r.scope === 'fleet').map(span);
  return (
    `per tenant ${[...own].join(', ')} and its alarm states` +
    (fleet.length > 0 ? `; per shard the fleet's ${fleet.join(', ')} (silent-tenant rule)` : '')
  );
}

function parseTenants(text: string): number[] {
  return text.split(',').map((part) => {
    const n = Number(part.trim().replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 1)
      throw new CostInputError('--tenants', `must be whole numbers >= 1, got "${part}"`);
    return n;
  });
}

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      'events-per-tenant-per-day': { type: 'string', default: '10000' },
      config: { type: 'string', default: DEFAULT_CONFIG_PATH },
      tenants: { type: 'string', default: '10,100,1000' },
    },
  });
  const rate = Number(values['events-per-tenant-per-day']);
  let config: PipelineConfig;
  try {
    config = loadConfigFile(values.config);
  } catch (err) {
    if (err instanceof ConfigurationError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  try {
    const catalog = catalogFor(config);
    const estimates = parseTenants(values.tenants).map((tenants) =>
      estimateMonthlyCost(config, catalog, { tenants, eventsPerTenantPerDay: rate }),
    );
    const p = US_EAST_1_PRICES;
    const a = DEFAULT_ASSUMPTIONS;
    console.log(
      `Monthly cost estimate for "${config.name}" (${values.config}) at ${rate.toLocaleString('en-US')} events per tenant per day.`,
    );
    console.log(
      `Prices: ${p.region} list prices as of ${p.asOf}; taxes, free tiers (except 3 dashboards) and support excluded.\n`,
    );
    console.log(costTable(estimates));
    console.log(
      `\nAssumptions: ${a.eventBytes} B per event, ${a.bucketItemBytes} B per KPI bucket item, ${a.rejectedShare * 100}% rejected, ` +
        `${a.onDemandShards} on-demand shards, ${a.emailIncidentsPerMonth} e-mailed incidents and ${a.p1IncidentsPerMonth} P1 incidents ` +
        `(${a.smsPerP1Incident} SMS each) a month; per-tenant alarms and dashboards for the same share of tenants as in the configuration.`,
    );
    console.log(
      `Per-tenant alarm evaluation: ${a.tenantEvaluationMs} ms of a 1 GB function per alerting tenant and minute (${TENANT_EVALUATION_BASIS}); ` +
        `reads each minute: ${describeReads(config)}; KPI reads are eventually consistent Queries, billed on their items' summed size.`,
    );
    console.log(
      `Prices used (USD): custom metric ${p.metricTiers.map((t) => t.usd).join('/')} per month by volume tier, alarm ${p.standardAlarmMonth} ` +
        `(anomaly ${p.anomalyAlarmMonth}, composite ${p.compositeAlarmMonth}), dashboard ${p.dashboardMonth}, logs ${p.logsIngestGb}/GB, ` +
        `Kinesis on-demand ${p.kinesisOnDemandStreamHour}/stream-h + ${p.kinesisOnDemandIngressGb}/GB in, shard ${p.kinesisShardHour}/h, ` +
        `Lambda arm64 ${p.lambdaArmGbSecond}/GB-s, DynamoDB ${p.dynamoWriteUnitsMillion}/M WRU + ${p.dynamoReadUnitsMillion}/M RRU + ` +
        `${p.dynamoStorageGbMonth}/GB + PITR ${p.dynamoPitrGbMonth}/GB, S3 PUT ${p.s3PutThousand}/1k, SES ${p.sesThousandEmails}/1k, ` +
        `SMS ${p.snsSmsUs} (US), KMS ${p.kmsKeyMonth}/key, X-Ray ${p.xrayTracesMillion}/M traces.`,
    );
    return 0;
  } catch (err) {
    if (err instanceof ConfigurationError) {
      console.error(err.message);
      return 2;
    }
    if (err instanceof CostInputError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
}

process.exitCode = main(process.argv.slice(2));
