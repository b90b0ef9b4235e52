/**
 * Monthly AWS cost estimate of a deployment, from its configuration, a tenant count and an event
 * rate. Pure: the price list and every traffic assumption are inputs, printed beside the result,
 * so the estimate can be checked line by line and re-run when prices move.
 */
import type { KpiCatalog } from '../catalog';
import type { PipelineConfig } from '../config/schema';
import { tenantMetricNames } from '../dashboards/tenant-metrics';
import { experimentMetricCount } from '../experiments/metrics';
import { tenantAlarmPlans } from '../tenant-alarms/plan';
import { activeMinuteShare, DEFAULT_DYNAMODB_ASSUMPTIONS, dynamoDbUnits, fleetMinuteBytes } from './dynamodb';
import { EVALUATION_MINUTES_PER_MONTH, evaluatorMonthlyReads } from './tenant-alarm-reads';

/** Unit prices in USD. */
export interface PriceList {
  /** Region and the date the prices were read, printed with every estimate. */
  readonly region: string;
  readonly asOf: string;
  /** CloudWatch custom metrics per metric-month, by tier: first 10k, next 240k, next 750k, over 1M. */
  readonly metricTiers: readonly { readonly upTo: number; readonly usd: number }[];
  readonly standardAlarmMonth: number;
  /** Anomaly detection alarms bill three metrics (the metric and the band's two bounds). */
  readonly anomalyAlarmMonth: number;
  readonly compositeAlarmMonth: number;
  readonly dashboardMonth: number;
  readonly freeDashboards: number;
  readonly logsIngestGb: number;
  readonly logsStorageGbMonth: number;
  readonly kinesisOnDemandStreamHour: number;
  /** On-demand ingress bills each record rounded up to 1 KB. */
  readonly kinesisOnDemandIngressGb: number;
  readonly kinesisOnDemandEgressGb: number;
  readonly kinesisShardHour: number;
  /** Per million 25 KB PUT payload units. */
  readonly kinesisPutUnitsMillion: number;
  /** Retention over 24 h, per GB-month. */
  readonly kinesisExtendedRetentionGbMonth: number;
  readonly lambdaArmGbSecond: number;
  readonly lambdaX86GbSecond: number;
  readonly lambdaRequestsMillion: number;
  readonly dynamoWriteUnitsMillion: number;
  readonly dynamoReadUnitsMillion: number;
  readonly dynamoStorageGbMonth: number;
  readonly dynamoPitrGbMonth: number;
  readonly s3StorageGbMonth: number;
  readonly s3PutThousand: number;
  readonly sesThousandEmails: number;
  /** One SMS to a US number, carrier fee included; other countries differ widely. */
  readonly snsSmsUs: number;
  readonly kmsKeyMonth: number;
  readonly kmsRequestsTenThousand: number;
  readonly xrayTracesMillion: number;
}

/**
 * us-east-1 list prices as published on aws.amazon.com/pricing, read on the date in `asOf`.
 * DynamoDB on-demand reflects the November 2024 price cut.
 */
export const US_EAST_1_PRICES: PriceList = {
  region: 'us-east-1',
  asOf: '2025-06-01',
  metricTiers: [
    { upTo: 10_000, usd: 0.3 },
    { upTo: 250_000, usd: 0.1 },
    { upTo: 1_000_000, usd: 0.05 },
    { upTo: Number.POSITIVE_INFINITY, usd: 0.02 },
  ],
  standardAlarmMonth: 0.1,
  anomalyAlarmMonth: 0.3,
  compositeAlarmMonth: 0.5,
  dashboardMonth: 3,
  freeDashboards: 3,
  logsIngestGb: 0.5,
  logsStorageGbMonth: 0.03,
  kinesisOnDemandStreamHour: 0.04,
  kinesisOnDemandIngressGb: 0.08,
  kinesisOnDemandEgressGb: 0.04,
  kinesisShardHour: 0.015,
  kinesisPutUnitsMillion: 0.014,
  kinesisExtendedRetentionGbMonth: 0.1,
  lambdaArmGbSecond: 0.0000133334,
  lambdaX86GbSecond: 0.0000166667,
  lambdaRequestsMillion: 0.2,
  dynamoWriteUnitsMillion: 0.625,
  dynamoReadUnitsMillion: 0.125,
  dynamoStorageGbMonth: 0.25,
  dynamoPitrGbMonth: 0.2,
  s3StorageGbMonth: 0.023,
  s3PutThousand: 0.005,
  sesThousandEmails: 0.1,
  snsSmsUs: 0.00847,
  kmsKeyMonth: 1,
  kmsRequestsTenThousand: 0.03,
  xrayTracesMillion: 5,
};

/** Traffic assumptions the configuration does not hold. Each is printed with the estimate. */
export interface TrafficAssumptions {
  /** Average event record size. @default 400 */
  readonly eventBytes: number;
  /**
   * Average size of one stored KPI item, for storage (minutes ~300 B, hours ~800 B, days ~1.4 KB,
   * measured by `npm run bench -- writes`; write units use the sizes in cost/dynamodb.ts). @default 600
   */
  readonly bucketItemBytes: number;
  /** Share of records rejected to the quarantine. @default 0.005 */
  readonly rejectedShare: number;
  /** Aggregator time per invocation plus per event, in ms. @default 60 / 0.05 */
  readonly invocationMs: number;
  readonly perEventMs: number;
  /** Shards an on-demand stream runs on at low volume (its 4 MB/s starting capacity). @default 4 */
  readonly onDemandShards: number;
  /** EMF bytes logged per published datapoint. @default 120 */
  readonly emfBytesPerDatapoint: number;
  /** Incidents a month that page by e-mail (P1 and P2). @default 20 */
  readonly emailIncidentsPerMonth: number;
  /** P1 incidents a month (paged by SMS), and SMS per P1 incident (levels climbed x contacts). @default 4 / 3 */
  readonly p1IncidentsPerMonth: number;
  readonly smsPerP1Incident: number;
  /**
   * Evaluator time per alerting tenant and minute, in ms, of a 1 GB function; see
   * {@link TENANT_EVALUATION_BASIS}.
   * @default 100
   */
  readonly tenantEvaluationMs: number;
}

/** What the default {@link TrafficAssumptions.tenantEvaluationMs} rests on (`npm run cost` prints it). */
export const TENANT_EVALUATION_BASIS =
  "56 ms of CPU per tenant measured on a full core by `npm run bench -- tenant-alarms`, doubled for a 1 GB function's share of a vCPU and its KPI reads";

/** The defaults of {@link TrafficAssumptions}. */
export const DEFAULT_ASSUMPTIONS: TrafficAssumptions = {
  eventBytes: 400,
  bucketItemBytes: 600,
  rejectedShare: 0.005,
  invocationMs: 60,
  perEventMs: 0.05,
  onDemandShards: 4,
  emfBytesPerDatapoint: 120,
  emailIncidentsPerMonth: 20,
  p1IncidentsPerMonth: 4,
  smsPerP1Incident: 3,
  tenantEvaluationMs: 100,
};

/** One scenario to estimate. */
export interface CostScenario {
  readonly tenants: number;
  readonly eventsPerTenantPerDay: number;
  /**
   * Share of tenants on a tier with per-tenant alarms/metrics, and with per-tenant dashboards.
   * @default the shares among the configuration's tenants (0 when it lists none)
   */
  readonly perTenantAlarmShare?: number;
  readonly perTenantDashboardShare?: number;
}

/** One line of an estimate. */
export interface CostLine {
  readonly item: string;
  /** What was counted, e.g. `12,400 metrics`. */
  readonly quantity: string;
  readonly usd: number;
}

/** The monthly estimate of one scenario. */
export interface CostEstimate {
  readonly tenants: number;
  readonly eventsPerMonth: number;
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
}

/** An input the estimate cannot use. */
export class CostInputError extends Error {
  constructor(field: string, rule: string) {
    super(`Cost estimate input ${field} ${rule}`);
    this.name = 'CostInputError';
  }
}

const SECONDS_PER_MONTH = 30 * 86_400;
const HOURS_PER_MONTH = 730;
const GB = 1024 ** 3;

/** Tiered custom-metric price of `count` metrics. */
export function metricsPrice(count: number, prices: PriceList = US_EAST_1_PRICES): number {
  let usd = 0;
  let from = 0;
  for (const tier of prices.metricTiers) {
    if (count <= from) break;
    usd += (Math.min(count, tier.upTo) - from) * tier.usd;
    from = tier.upTo;
  }
  return usd;
}

function shareOf(config: PipelineConfig, flag: 'perTenantAlarms' | 'perTenantDashboard'): number {
  if (config.tenants.length === 0) return 0;
  return config.tenants.filter((t) => config.tiers[t.tier]?.[flag] === true).length / config.tenants.length;
}

function checkShare(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new CostInputError(name, `must be between 0 and 1, got ${value}`);
  return value;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Alarm counts of one scope (the fleet or one tenant): standard, anomaly and composite. */
function alarmsPerScope(
  config: PipelineConfig,
  catalog: KpiCatalog,
): { standard: number; anomaly: number; composite: number } {
  let standard = 0;
  let anomaly = 0;
  for (const kpi of catalog.all()) {
    for (const rule of kpi.defaultAlarms) {
      if (config.alarms.overrides[rule.id]?.enabled === false) continue;
      if (rule.kind === 'anomaly') anomaly += 1;
      else standard += 1;
    }
  }
  // Multi-window burn rate: a long- and a short-window alarm joined by a composite, per SLO and rule.
  const burn = config.alarms.slos.length * config.alarms.burnRates.length;
  return { standard: standard + 2 * burn, anomaly, composite: burn };
}

/** What every cost line of one scenario reads. */
interface CostContext {
  readonly config: PipelineConfig;
  readonly catalog: KpiCatalog;
  readonly prices: PriceList;
  readonly a: TrafficAssumptions;
  readonly tenants: number;
  readonly eventsPerTenantPerDay: number;
  /** Events a month. */
  readonly events: number;
  readonly alarmTenants: number;
  readonly dashboardTenants: number;
  /** KPIs published as fleet metrics, and the experiments' per-variant metrics. */
  readonly published: number;
  /** Metrics published per dashboard tenant. */
  readonly perTenantMetrics: number;
}

type AddLine = (item: string, quantity: string, usd: number) => void;

/** Checks the scenario and derives the shares of alerting and dashboard tenants. */
function scenarioShares(config: PipelineConfig, scenario: CostScenario): { alarmShare: number; dashShare: number } {
  const { tenants, eventsPerTenantPerDay } = scenario;
  if (!Number.isInteger(tenants) || tenants < 1)
    throw new CostInputError('tenants', `must be a whole number >= 1, got ${tenants}`);
  if (!(eventsPerTenantPerDay >= 0) || !Number.isFinite(eventsPerTenantPerDay)) {
    throw new CostInputError('eventsPerTenantPerDay', `must be a finite number >= 0, got ${eventsPerTenantPerDay}`);
  }
  const alarmShare = checkShare(
    'perTenantAlarmShare',
    scenario.perTenantAlarmShare ?? shareOf(config, 'perTenantAlarms'),
  );
  const dashShare = checkShare(
    'perTenantDashboardShare',
    scenario.perTenantDashboardShare ?? shareOf(config, 'perTenantDashboard'),
  );
  return { alarmShare, dashShare };
}

/** CloudWatch metrics, alarms and dashboards. */
function addCloudWatch(c: CostContext, add: AddLine): void {
  const { config, catalog, prices } = c;
  // CloudWatch custom metrics: each published KPI once for the fleet; per tenant only the metrics the
  // tenant dashboard draws, and only for dashboard tenants (per-tenant alarms read the KPI table).
  const metricCount = c.published + c.perTenantMetrics * c.dashboardTenants;
  add('CloudWatch custom metrics', `${fmt(metricCount)} metrics`, metricsPrice(metricCount, prices));

  // CloudWatch alarms: the fleet's only; tenants' rules are evaluated by the pipeline (next lines).
  const perScope = alarmsPerScope(config, catalog);
  const alarmUsd =
    perScope.standard * prices.standardAlarmMonth +
    perScope.anomaly * prices.anomalyAlarmMonth +
    perScope.composite * prices.compositeAlarmMonth;
  const alarmCount = perScope.standard + perScope.anomaly + perScope.composite;
  add('CloudWatch alarms (fleet)', `${fmt(alarmCount)} alarms (${fmt(perScope.anomaly)} anomaly)`, alarmUsd);

  // One fleet overview, one pipeline health, one tenant dashboard with a picker.
  const dashboardsCount = 2 + (c.dashboardTenants > 0 ? 1 : 0);
  add(
    'CloudWatch dashboards',
    `${fmt(dashboardsCount)} dashboards`,
    Math.max(0, dashboardsCount - prices.freeDashboards) * prices.dashboardMonth,
  );
}

/**
 * Per-tenant alarm evaluation: every minute, one invocation per shard reads each alerting tenant's
 * stored alarm states and KPI buckets, and once the fleet's minutes the silent-tenant rule compares
 * with, then evaluates (cost/tenant-alarm-reads.ts lists the reads as the handler makes them).
 */
function addTenantAlarmEvaluation(c: CostContext, add: AddLine): void {
  const { alarmTenants, prices, a } = c;
  if (alarmTenants <= 0) return;
  const [plan] = tenantAlarmPlans(c.config, c.catalog, ['cost-estimate']);
  if (plan === undefined) return;
  const fleetMinute = fleetMinuteBytes(DEFAULT_DYNAMODB_ASSUMPTIONS.tenantMinuteBytes, c.tenants);
  const month = evaluatorMonthlyReads(plan, alarmTenants, {
    tenantMinuteBytes: DEFAULT_DYNAMODB_ASSUMPTIONS.tenantMinuteBytes,
    tenantHourBytes: DEFAULT_DYNAMODB_ASSUMPTIONS.tenantHourBytes,
    fleetMinuteBytes: fleetMinute,
    fleetHourBytes: 2 * fleetMinute,
    tenantActiveMinuteShare: activeMinuteShare(c.eventsPerTenantPerDay),
  });
  const evaluatorGbSeconds = (alarmTenants * EVALUATION_MINUTES_PER_MONTH * a.tenantEvaluationMs) / 1000;
  add(
    'Per-tenant alarm evaluation (Lambda, KPI reads)',
    `${fmt(alarmTenants)} tenants, ${fmt(month.queries / 1e6)} M queries, ${fmt(month.readUnits / 1e6)} M RRU`,
    (month.readUnits / 1e6) * prices.dynamoReadUnitsMillion +
      evaluatorGbSeconds * prices.lambdaArmGbSecond +
      (month.invocations / 1e6) * prices.lambdaRequestsMillion,
  );
}

/** EMF: one datapoint per published metric and scope for every minute that has events. */
function addLogs(c: CostContext, add: AddLine): void {
  const activeMinutes = Math.min(43_200, c.eventsPerTenantPerDay * 30);
  const emfGb =
    ((c.published * 43_200 + c.perTenantMetrics * c.dashboardTenants * activeMinutes) * c.a.emfBytesPerDatapoint) / GB;
  const lambdaLogGb = emfGb * 0.2 + (c.events * 20) / GB;
  const logsGb = emfGb + lambdaLogGb;
  add(
    'CloudWatch Logs (EMF metrics, function logs)',
    `${logsGb.toFixed(1)} GB`,
    logsGb * c.prices.logsIngestGb + logsGb * c.prices.logsStorageGbMonth,
  );
}

/** Kinesis; returns the shard count the aggregator and DynamoDB lines build on. */
function addKinesis(c: CostContext, add: AddLine): number {
  const { config, prices, a, events } = c;
  const eventGb = (events * a.eventBytes) / GB;
  let shards: number;
  if (config.stream.mode === 'on-demand') {
    shards = a.onDemandShards;
    const ingressGb = (events * Math.max(1024, Math.ceil(a.eventBytes / 1024) * 1024)) / GB;
    add(
      'Kinesis (on-demand)',
      `${fmt(events)} records, ${ingressGb.toFixed(1)} GB billed in`,
      HOURS_PER_MONTH * prices.kinesisOnDemandStreamHour +
        ingressGb * prices.kinesisOnDemandIngressGb +
        eventGb * prices.kinesisOnDemandEgressGb,
    );
  } else {
    shards = config.stream.shardCount ?? 1;
    add(
      'Kinesis (provisioned)',
      `${shards} shards, ${fmt(events)} records`,
      shards * HOURS_PER_MONTH * prices.kinesisShardHour + (events / 1e6) * prices.kinesisPutUnitsMillion,
    );
  }
  if (config.stream.retentionHours > 24) {
    const retainedGb = eventGb * ((config.stream.retentionHours - 24) / (30 * 24));
    add(
      'Kinesis extended retention',
      `${config.stream.retentionHours} h`,
      retainedGb * prices.kinesisExtendedRetentionGbMonth,
    );
  }
  return shards;
}

/**
 * Aggregator: one invocation per shard and batching window while traffic flows, more when batches fill.
 * Returns the aggregator's invocations a month.
 */
function addLambda(c: CostContext, shards: number, add: AddLine): number {
  const { config, prices, a, events } = c;
  const windowSeconds = Math.max(1, config.aggregator.maxBatchingWindowSeconds);
  const invocations = Math.min(
    events,
    Math.max(events / config.aggregator.batchSize, (shards * SECONDS_PER_MONTH) / windowSeconds),
  );
  const gbSeconds =
    ((invocations * a.invocationMs + events * a.perEventMs) / 1000) * (config.aggregator.memoryMb / 1024);
  const reportInvocations = 2 * 30 + 2 * 4.3;
  const reportGbSeconds = reportInvocations * 30 * 1;
  add(
    'Lambda (aggregator arm64, reports x86_64)',
    `${fmt(invocations)} invocations, ${fmt(gbSeconds)} GB-s`,
    gbSeconds * prices.lambdaArmGbSecond +
      reportGbSeconds * prices.lambdaX86GbSecond +
      ((invocations + reportInvocations) / 1e6) * prices.lambdaRequestsMillion,
  );
  return invocations;
}

/**
 * DynamoDB: minute items per batch, hours and days once per closed period (lambdas/core/cost/dynamodb.ts,
 * checked against `npm run bench -- writes`).
 */
function addDynamoDb(c: CostContext, shards: number, add: AddLine): void {
  const { config, prices, a, tenants, eventsPerTenantPerDay } = c;
  const ddb = dynamoDbUnits({
    tenants,
    eventsPerTenantPerDay,
    shards,
    batchSize: config.aggregator.batchSize,
    batchingWindowSeconds: config.aggregator.maxBatchingWindowSeconds,
  });
  const wru = ddb.wruPerDay * 30;
  const rru = ddb.rruPerDay * 30;
  const activeMinutesPerDay = Math.min(1440, eventsPerTenantPerDay);
  const retention = config.retention;
  const itemsStored =
    (tenants + 1) *
    (activeMinutesPerDay * retention.minuteDays +
      Math.min(24, activeMinutesPerDay) * retention.hourDays +
      (eventsPerTenantPerDay > 0 ? retention.dayDays : 0));
  const storedGb = (itemsStored * a.bucketItemBytes) / GB;
  add(
    'DynamoDB (on-demand, PITR)',
    `${fmt(wru / 1e6)} M WRU (${ddb.wruPerEvent.toFixed(2)} per event), ${fmt(rru / 1e6)} M RRU, ${storedGb.toFixed(1)} GB`,
    (wru / 1e6) * prices.dynamoWriteUnitsMillion +
      (rru / 1e6) * prices.dynamoReadUnitsMillion +
      storedGb * (prices.dynamoStorageGbMonth + prices.dynamoPitrGbMonth),
  );
}

/** S3 quarantine, SES, SMS, KMS and X-Ray. */
function addDeliveryAndSecurity(c: CostContext, invocations: number, add: AddLine): void {
  const { config, prices, a, events } = c;
  const rejected = events * a.rejectedShare;
  const quarantineGb = (rejected * a.eventBytes * (config.retention.quarantineDays / 30)) / GB;
  add(
    'S3 quarantine',
    `${fmt(rejected)} rejected records`,
    (rejected / 1000) * prices.s3PutThousand + quarantineGb * prices.s3StorageGbMonth,
  );

  const schedules = config.reports.schedules;
  const reportMails =
    (schedules.system_health.enabled ? schedules.system_health.recipients.length * 30 : 0) +
    (schedules.business_performance.enabled ? schedules.business_performance.recipients.length * 30 : 0) +
    (schedules.executive_summary.enabled ? schedules.executive_summary.recipients.length * 4.3 : 0) +
    (schedules.client_success.enabled ? schedules.client_success.recipients.length * 4.3 : 0);
  const mails = reportMails + a.emailIncidentsPerMonth * 3;
  add('SES e-mail (reports, pages)', `${fmt(mails)} e-mails`, (mails / 1000) * prices.sesThousandEmails);

  const sms = a.p1IncidentsPerMonth * a.smsPerP1Incident;
  add('SNS SMS (P1 pages, US numbers)', `${fmt(sms)} SMS`, sms * prices.snsSmsUs);

  const traces = Math.min(invocations, SECONDS_PER_MONTH + 0.05 * invocations);
  add(
    'KMS key and X-Ray traces',
    `1 key, ${fmt(traces)} traces`,
    prices.kmsKeyMonth +
      10 * prices.kmsRequestsTenThousand +
      (Math.max(0, traces - 100_000) / 1e6) * prices.xrayTracesMillion,
  );
}

/**
 * Estimates one scenario's monthly cost.
 * @throws CostInputError when a count or share is out of range
 */
export function estimateMonthlyCost(
  config: PipelineConfig,
  catalog: KpiCatalog,
  scenario: CostScenario,
  prices: PriceList = US_EAST_1_PRICES,
  assumptions: TrafficAssumptions = DEFAULT_ASSUMPTIONS,
): CostEstimate {
  const { tenants, eventsPerTenantPerDay } = scenario;
  const { alarmShare, dashShare } = scenarioShares(config, scenario);
  const lines: CostLine[] = [];
  const add: AddLine = (item, quantity, usd) => lines.push({ item, quantity, usd });
  const events = tenants * eventsPerTenantPerDay * 30;
  const c: CostContext = {
    config,
    catalog,
    prices,
    a: assumptions,
    tenants,
    eventsPerTenantPerDay,
    events,
    alarmTenants: Math.round(tenants * alarmShare),
    dashboardTenants: Math.round(tenants * dashShare),
    // Fleet KPI metrics, plus one per configured (experiment, variant) for the experiment widgets.
    published: catalog.all().filter((k) => k.metric !== undefined).length + experimentMetricCount(config.experiments),
    perTenantMetrics: tenantMetricNames(catalog).length,
  };
  addCloudWatch(c, add);
  addTenantAlarmEvaluation(c, add);
  addLogs(c, add);
  const shards = addKinesis(c, add);
  const invocations = addLambda(c, shards, add);
  addDynamoDb(c, shards, add);
  addDeliveryAndSecurity(c, invocations, add);
  const totalUsd = lines.reduce((sum, l) => sum + l.usd, 0);
  return { tenants, eventsPerMonth: events, lines, totalUsd };
}
