/**
 * The pipeline configuration: one typed, validated document from which the CDK app, the
 * handlers, the CLI and the local mode all take their settings.
 *
 * Every number of the operations spec (severities, alarm thresholds, ladders, schedules, health
 * score weights) is a default here, changeable per deployment without touching code. Secrets
 * (phone numbers, webhook URLs, signing keys) never appear in this document: it names the SSM
 * parameter or Secrets Manager secret that holds them.
 *
 * Pure: no file system, no environment. `loadConfig` in `./load.ts` reads files.
 */
import { z } from 'zod';
import { BUILT_IN_KPIS } from '../catalog/builtin';
import { InvalidCustomKpiError, KpiCatalog } from '../catalog/catalog';
import { builtInHealthTarget, builtInReportTargets } from '../catalog/defaults';
import { KPI } from '../catalog/names';
import {
  CUSTOM_ALARM_COMPARISONS,
  CUSTOM_EVENT_TYPE_PATTERN,
  CUSTOM_EVENT_TYPE_RULE,
  CUSTOM_KPI_AGGREGATIONS,
  KPI_DIRECTIONS,
  KPI_NAME_PATTERN,
  KPI_NAME_RULE,
  KPI_UNITS,
  REPORT_TARGET_STATISTICS,
} from '../catalog/types';
import { ConfigurationError } from '../configuration-error';
import { checkExperiments, experimentSchema } from '../experiments/config';
import {
  ALARM_PERIOD_RULE,
  FLEET_SCOPE,
  isAlarmPeriod,
  LADDERS,
  MISSING_DATA_TREATMENTS,
  SEVERITIES,
} from '../vocabulary';
import { cronProblem, isIanaTimeZone } from './schedule-rules';

/** Tenant ids, as the event contract defines them (kept in sync by a test against the contract). */
export const CONFIG_TENANT_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

export { LADDERS, type LadderName, REPORT_KINDS, type ReportKind, SEVERITIES, type Severity } from '../vocabulary';

/** Notification channels. */
export const CHANNELS = ['sms', 'email', 'chat'] as const;
/** A channel a page goes out on. */
export type Channel = (typeof CHANNELS)[number];

const tenantId = z
  .string()
  .regex(CONFIG_TENANT_ID, 'must match ^[a-z0-9][a-z0-9-]{1,62}$ (lowercase letters, digits, dashes; 2-63 chars)');
const email = z.email('must be an e-mail address');
const positiveInt = z.number().int('must be an integer').positive('must be > 0');
const isoInstant = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 timestamp with zone' });
/** SSM parameter names: `/path/name` or `name`. */
const ssmParameterName = z
  .string()
  .regex(/^\/?[A-Za-z0-9_.\-/]{1,1011}$/, 'must be an SSM parameter name such as /agent-kpi/oncall/phone');
const secretName = z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name');

const tierSchema = z.strictObject({
  /** Per-tenant alarms and per-tenant CloudWatch metric dimensions (each tenant x metric is a billed custom metric). */
  perTenantAlarms: z.boolean().default(false),
  /** A CloudWatch dashboard per tenant. */
  perTenantDashboard: z.boolean().default(false),
  /** Seats licensed by default for tenants of this tier (platform usage component of the health score). */
  licensedSeats: positiveInt.optional(),
});

const tenantSchema = z.strictObject({
  id: tenantId,
  /** Display name; untrusted text, always escaped where rendered. */
  name: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  tier: z.string().min(1),
  licensedSeats: positiveInt.optional(),
});

const streamSchema = z
  .strictObject({
    mode: z.enum(['on-demand', 'provisioned']).default('on-demand'),
    /** Required when mode is provisioned. */
    shardCount: positiveInt.max(500, 'must be at most 500').optional(),
    retentionHours: z.number().int().min(24, 'must be >= 24').max(8760, 'must be <= 8760').default(24),
  })
  .superRefine((s, ctx) => {
    if (s.mode === 'provisioned' && s.shardCount === undefined) {
      ctx.addIssue({ code: 'custom', path: ['shardCount'], message: 'is required when mode is "provisioned"' });
    }
    if (s.mode === 'on-demand' && s.shardCount !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['shardCount'], message: 'only applies when mode is "provisioned"' });
    }
  });

const aggregatorSchema = z.strictObject({
  batchSize: z.number().int().min(1).max(10000, 'must be <= 10000 (Kinesis limit)').default(1000),
  maxBatchingWindowSeconds: z.number().int().min(0).max(300, 'must be <= 300').default(60),
  /**
   * Must stay 1: the exactly-once watermarks rely on one ordered reader per shard
   * (see docs/exactly-once.md). Scale with shards instead.
   */
  parallelizationFactor: z.literal(1, 'must be 1: exactly-once counting needs one ordered reader per shard').default(1),
  maxRetryAttempts: z.number().int().min(0).max(10000).default(10),
  maxRecordAgeSeconds: z.number().int().min(60).max(604800, 'must be <= 604800 (7 days)').default(86400),
  memoryMb: z.number().int().min(128).max(10240).default(1024),
  timeoutSeconds: z.number().int().min(10).max(900).default(120),
  /** Caps concurrent aggregators so a backlog cannot throttle the KPI table; unset means unreserved. */
  reservedConcurrency: positiveInt.optional(),
});

const retentionSchema = z.strictObject({
  minuteDays: positiveInt.default(14),
  hourDays: positiveInt.default(400),
  dayDays: positiveInt.default(1825),
  /** Quarantined records are kept this long. */
  quarantineDays: positiveInt.default(30),
  logDays: positiveInt.default(30),
});

const ingestionSchema = z.strictObject({
  maxRecordBytes: positiveInt.max(1048576).default(65536),
  maxPastDays: positiveInt.default(7),
  maxFutureMinutes: positiveInt.default(5),
});

const alarmOverrideSchema = z.strictObject({
  enabled: z.boolean().optional(),
  severity: z.enum(SEVERITIES).optional(),
  threshold: z.number().refine(Number.isFinite, 'must be finite').optional(),
  periodSeconds: z.number().int().refine(isAlarmPeriod, ALARM_PERIOD_RULE).optional(),
  evaluationPeriods: positiveInt.optional(),
  datapointsToAlarm: positiveInt.optional(),
  treatMissingData: z.enum(MISSING_DATA_TREATMENTS).optional(),
  ladder: z.enum(LADDERS).optional(),
  /**
   * This rule's minimum evidence over its whole evaluation window (events behind a rate, samples
   * behind a percentile, responses behind a mean), instead of `alerting.evidence`'s floor for its kind.
   */
  minSamples: positiveInt.optional(),
  /** Bad events a rate rule's window must hold (an error, a failed check), instead of `alerting.evidence.minBadEvents`. */
  minBadEvents: positiveInt.optional(),
});

const sloSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'must be lowercase letters, digits and dashes'),
  /** A rate KPI of the catalog: `availability` (good share) or `api_error_rate` (bad share). */
  kpi: z.string().min(1),
  /** Target good share, e.g. 0.999. */
  objective: z.number().gt(0.5, 'must be > 0.5').lt(1, 'must be < 1'),
  windowDays: positiveInt.default(30),
});

const burnRateSchema = z.strictObject({
  severity: z.enum(SEVERITIES),
  factor: z.number().positive('must be > 0'),
  longWindowMinutes: positiveInt,
  shortWindowMinutes: positiveInt,
});

const severityRouteSchema = z.strictObject({
  channel: z.enum(CHANNELS),
  /** Climb the ladder when a level does not acknowledge in its window. P3/P4 default to no climb. */
  climb: z.boolean(),
  /** Channels each page also goes out on (P1: e-mail besides the SMS, as the operations spec says). */
  alsoChannels: z.array(z.enum(CHANNELS)).default([]),
});

const ladderLevelSchema = z.strictObject({
  name: z.string().min(1),
  /** Contact ids (keys of `escalation.contacts`) paged at this level. */
  contacts: z.array(z.string().min(1)).min(1, 'must name at least one contact'),
  /** How long this level has to acknowledge before the next level is paged. */
  ackWindowMinutes: positiveInt,
});

const contactSchema = z.strictObject({
  name: z.string().min(1),
  email: email.optional(),
  /** SSM parameter (SecureString) holding the phone number, E.164. */
  phoneParameter: ssmParameterName.optional(),
  /** Secrets Manager secret holding a Slack-compatible incoming-webhook URL. */
  chatWebhookSecret: secretName.optional(),
});

const reportScheduleSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** EventBridge Scheduler cron expression, evaluated in `reports.timezone`; checked field by field. */
  cron: z.string().superRefine((cron, ctx) => {
    const problem = cronProblem(cron);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  }),
  recipients: z.array(email).default([]),
});

const silenceSchema = z
  .strictObject({
    id: z.string().min(1),
    /** Alarm rule id (e.g. `response_latency-p1`) or `*` for every rule. */
    alarm: z.string().min(1).optional(),
    tenant: z.union([tenantId, z.literal(FLEET_SCOPE)]).optional(),
    start: isoInstant,
    end: isoInstant,
    reason: z.string().min(1, 'must say why (it shows on the incident)'),
  })
  .superRefine((s, ctx) => {
    if (s.alarm === undefined && s.tenant === undefined) {
      ctx.addIssue({ code: 'custom', path: ['alarm'], message: 'a silence needs `alarm` or `tenant` (or both)' });
    }
    if (Date.parse(s.end) <= Date.parse(s.start)) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
    }
  });

const healthScoreSchema = z
  .strictObject({
    weights: z
      .strictObject({
        usage: z.number().min(0).default(25),
        performance: z.number().min(0).default(25),
        support: z.number().min(0).default(20),
        growth: z.number().min(0).default(15),
        satisfaction: z.number().min(0).default(15),
      })
      .prefault({}),
    /** Lowest score of the green and yellow bands; below yellow is red. */
    bands: z.strictObject({ green: z.number().default(80), yellow: z.number().default(60) }).prefault({}),
    targets: z
      .strictObject({
        // Defaults are the catalog entries' targets (the report's and the alarm's where they have one).
        responseP95Ms: positiveInt.default(builtInHealthTarget(KPI.responseLatency)),
        apiErrorRate: z.number().min(0).max(1).default(builtInHealthTarget(KPI.apiErrorRate)),
        fcrRate: z.number().min(0).max(1).default(builtInHealthTarget(KPI.fcrRate)),
        csat: z.number().min(1).max(5).default(builtInHealthTarget(KPI.csat)),
        nps: z.number().min(-100).max(100).default(builtInHealthTarget(KPI.nps)),
        ticketsPerHundredSessions: z.number().min(0).default(5),
        ticketResolutionP95Ms: positiveInt.default(builtInHealthTarget(KPI.ticketResolutionTime)),
      })
      .prefault({}),
    /** Days running in the red band that make a churn-risk flag. */
    redDaysForChurnRisk: positiveInt.default(3),
  })
  .superRefine((h, ctx) => {
    const total = Object.values(h.weights).reduce((a, b) => a + b, 0);
    if (Math.abs(total - 100) > 1e-9) {
      ctx.addIssue({ code: 'custom', path: ['weights'], message: `must add up to 100 (they add up to ${total})` });
    }
    if (!(h.bands.green > h.bands.yellow && h.bands.yellow > 0 && h.bands.green <= 100)) {
      ctx.addIssue({ code: 'custom', path: ['bands'], message: 'must satisfy 0 < yellow < green <= 100' });
    }
  });

const customKpiAlarmSchema = z.strictObject({
  severity: z.enum(SEVERITIES),
  comparison: z.enum(CUSTOM_ALARM_COMPARISONS),
  threshold: z.number().refine(Number.isFinite, 'must be finite'),
  statistic: z.string().min(1).optional(),
  ladder: z.enum(LADDERS).optional(),
  description: z.string().min(1).optional(),
});

/**
 * The shape of a custom KPI declaration, from the catalog's constants; the catalog itself checks
 * the rules between keys (a field for every aggregation but count, one type per field), once, in
 * {@link checkCustomKpis}.
 */
const customKpiSchema = z.strictObject({
  name: z.string().regex(KPI_NAME_PATTERN, KPI_NAME_RULE),
  eventType: z
    .string()
    .regex(CUSTOM_EVENT_TYPE_PATTERN, CUSTOM_EVENT_TYPE_RULE)
    .transform((type) => type as `custom.${string}`),
  aggregation: z.enum(CUSTOM_KPI_AGGREGATIONS),
  field: z.string().min(1).optional(),
  where: z
    .strictObject({ field: z.string().min(1), equals: z.union([z.string(), z.number(), z.boolean()]) })
    .optional(),
  unit: z.enum(KPI_UNITS).optional(),
  description: z.string().optional(),
  direction: z.enum(KPI_DIRECTIONS).optional(),
  alarms: z.array(customKpiAlarmSchema).optional(),
});

const deploymentSchema = z.strictObject({
  /**
   * Let `cdk deploy` go ahead while contacts, senders or report recipients are still at the
   * reserved example domains (example.com, .org, .net), which deliver nothing. For test
   * deployments only; `-c allowExampleAddresses=true` does the same for one command.
   */
  allowExampleAddresses: z.boolean().default(false),
});

const DEFAULT_TIERS = {
  standard: { perTenantAlarms: false, perTenantDashboard: false },
  enterprise: { perTenantAlarms: true, perTenantDashboard: true },
};

const DEFAULT_CONTACTS = {
  oncall: { name: 'On-call engineer', email: 'oncall@example.com', phoneParameter: '/agent-kpi/contacts/oncall/phone' },
  techlead: {
    name: 'Technical lead',
    email: 'techlead@example.com',
    phoneParameter: '/agent-kpi/contacts/techlead/phone',
  },
  engmanager: {
    name: 'Engineering manager',
    email: 'engmanager@example.com',
    phoneParameter: '/agent-kpi/contacts/engmanager/phone',
  },
  cto: { name: 'CTO', email: 'cto@example.com', phoneParameter: '/agent-kpi/contacts/cto/phone' },
  teamlead: { name: 'Team lead', email: 'teamlead@example.com' },
  depthead: { name: 'Department head', email: 'depthead@example.com' },
  vp: { name: 'VP', email: 'vp@example.com' },
  clevel: { name: 'C-level', email: 'clevel@example.com' },
  chat: { name: 'Alerts channel', chatWebhookSecret: 'agent-kpi/chat-webhook' },
};

/** The escalation ladders of the operations spec. */
const DEFAULT_LADDERS = {
  technical: [
    { name: 'On-call engineer', contacts: ['oncall'], ackWindowMinutes: 15 },
    { name: 'Technical lead', contacts: ['techlead'], ackWindowMinutes: 15 },
    { name: 'Engineering manager', contacts: ['engmanager'], ackWindowMinutes: 30 },
    { name: 'CTO', contacts: ['cto'], ackWindowMinutes: 60 },
  ],
  business: [
    { name: 'Team lead', contacts: ['teamlead'], ackWindowMinutes: 30 },
    { name: 'Department head', contacts: ['depthead'], ackWindowMinutes: 90 },
    { name: 'VP', contacts: ['vp'], ackWindowMinutes: 120 },
    { name: 'C-level', contacts: ['clevel'], ackWindowMinutes: 240 },
  ],
};

const escalationSchema = z.strictObject({
  severities: z
    .strictObject({
      P1: severityRouteSchema.default({ channel: 'sms', climb: true, alsoChannels: ['email'] }),
      P2: severityRouteSchema.default({ channel: 'email', climb: true, alsoChannels: [] }),
      P3: severityRouteSchema.default({ channel: 'chat', climb: false, alsoChannels: [] }),
      P4: severityRouteSchema.default({ channel: 'chat', climb: false, alsoChannels: [] }),
    })
    .prefault({}),
  ladders: z
    .strictObject({
      technical: z.array(ladderLevelSchema).min(1).default(DEFAULT_LADDERS.technical),
      business: z.array(ladderLevelSchema).min(1).default(DEFAULT_LADDERS.business),
    })
    .prefault({}),
  /** Contacts for P3/P4 chat pages (and the first level when a severity does not climb). */
  chatContacts: z.array(z.string().min(1)).default(['chat']),
  /**
   * When no chat contact can be reached (no webhook configured, webhook down, no e-mail), a
   * non-climbing page goes by e-mail to the first level of the incident's ladder, so every
   * severity reaches a person.
   */
  chatFallbackToLadder: z.boolean().default(true),
  contacts: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/), contactSchema).default(DEFAULT_CONTACTS),
  /** While unacknowledged at the top level, repeat the page this often. */
  topLevelRepeatMinutes: positiveInt.default(30),
  /** Acknowledgement links expire after this long. */
  ackLinkTtlMinutes: positiveInt.max(1440).default(60),
  /** Sender address for pages and resolutions (an SES-verified identity). */
  senderEmail: email.default('alerts@example.com'),
  /**
   * Secrets Manager secret holding the HMAC key that signs acknowledgement links (created by the
   * alerting stack). Unset means `<name>/ack-signing-key`, so two deployments in one account and
   * Region never collide (see {@link ackSigningSecretName}).
   */
  ackSigningSecret: secretName.optional(),
});

/** What an incident's grouping key is made of (`scope` is the tenant, or the fleet). */
export const GROUP_BY_FIELDS = ['scope', 'ladder', 'severity', 'rule'] as const;
/** One part of the grouping key. */
export type GroupByField = (typeof GROUP_BY_FIELDS)[number];

const inhibitionSchema = z.strictObject({
  id: z.string().min(1),
  /**
   * What mutes: `p1-same-kpi` (a firing alert of `sourceSeverities` mutes `targetSeverities` of
   * the same tenant and KPI) or `burn-rate-over-threshold` (a firing SLO burn-rate alert mutes the
   * plain threshold alerts on the SLO's KPI).
   */
  kind: z.enum(['same-kpi', 'burn-rate-over-threshold']),
  sourceSeverities: z.array(z.enum(SEVERITIES)).min(1).default(['P1']),
  targetSeverities: z.array(z.enum(SEVERITIES)).min(1).default(['P2', 'P3', 'P4']),
  enabled: z.boolean().default(true),
});

const alertingSchema = z.strictObject({
  grouping: z
    .strictObject({
      /** Alerts whose key (these fields joined) is equal join one incident while it is open. */
      by: z.array(z.enum(GROUP_BY_FIELDS)).min(1, 'must name at least one field').default(['scope', 'ladder']),
      /** A new incident waits this long before its first page, so alerts of the same problem go out in one page. */
      groupWaitSeconds: z.number().int().min(0).max(900).default(60),
      /** After a page, a raise to a higher severity pages again no sooner than this. */
      groupIntervalSeconds: z.number().int().min(0).max(3600).default(120),
      /** A fleet alarm joins an open incident of a tenant on the same ladder instead of opening its own. */
      fleetJoinsTenantIncidents: z.boolean().default(true),
    })
    .prefault({}),
  /**
   * Minimum evidence over a threshold alarm's evaluation window before it may fire (metric math
   * on the sample counts the aggregator publishes). Chosen by measurement: see docs/alerting.md.
   */
  evidence: z
    .strictObject({
      /** Events behind a rate (error rate, availability, shares). */
      minEvents: positiveInt.default(50),
      /** Bad events (errors, failed checks, misses) a rate's window must hold besides. */
      minBadEvents: positiveInt.default(5),
      /** Samples behind a percentile (latencies). */
      minSamples: positiveInt.default(50),
      /** Responses behind a mean (CSAT, NPS, scores). */
      minResponses: positiveInt.default(10),
    })
    .prefault({}),
  /**
   * The "tenant went silent" rule of per-tenant alerting (`tenant-silent`): no traffic for
   * `minutes` from a tenant whose last active `minutes` held at least `minBaseline` events of
   * `baselineKpi`, while the rest of the fleet still sends. See docs/alerting.md.
   */
  silentTenant: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Minutes without any traffic event (every published KPI counting all events of its type). */
      minutes: positiveInt.max(360).default(10),
      /** The count KPI whose last active window must reach `minBaseline` (a Poisson count: sessions). */
      baselineKpi: z.string().min(1).default(KPI.sessions),
      /** Chosen by measurement (docs/alerting.md): sparse tenants never reach it. */
      minBaseline: positiveInt.default(25),
      severity: z.enum(SEVERITIES).default('P2'),
      ladder: z.enum(LADDERS).default('technical'),
    })
    .prefault({}),
  /** An incident resolves once all its alerts have been out of ALARM this long; a re-fire inside it pages no one. */
  quietPeriodMinutes: positiveInt.max(1440).default(10),
  /** Inhibition rules: muted alerts are recorded on the incident and page no one. */
  inhibitions: z.array(inhibitionSchema).default([
    {
      id: 'p1-mutes-same-kpi',
      kind: 'same-kpi',
      sourceSeverities: ['P1'],
      targetSeverities: ['P2', 'P3', 'P4'],
      enabled: true,
    },
    {
      id: 'burn-rate-mutes-threshold',
      kind: 'burn-rate-over-threshold',
      sourceSeverities: [...SEVERITIES],
      targetSeverities: [...SEVERITIES],
      enabled: true,
    },
  ]),
});

const alarmsSchema = z.strictObject({
  /** Per rule id (e.g. `response_latency-p1`): change a default rule of the KPI catalog. */
  overrides: z.record(z.string(), alarmOverrideSchema).default({}),
  slos: z.array(sloSchema).default([
    // The first SLO's id is its KPI's name; alarm names carry it, so it stays.
    { id: KPI.availability, kpi: KPI.availability, objective: 0.999, windowDays: 30 },
    { id: 'api-errors', kpi: KPI.apiErrorRate, objective: 0.999, windowDays: 30 },
  ]),
  /** Multi-window multi-burn-rate rules (Google SRE workbook), the operations spec's defaults. */
  burnRates: z.array(burnRateSchema).default([
    { severity: 'P1', factor: 14.4, longWindowMinutes: 60, shortWindowMinutes: 5 },
    { severity: 'P1', factor: 6, longWindowMinutes: 360, shortWindowMinutes: 30 },
    { severity: 'P2', factor: 3, longWindowMinutes: 1440, shortWindowMinutes: 120 },
    { severity: 'P4', factor: 1, longWindowMinutes: 4320, shortWindowMinutes: 360 },
  ]),
});

export { REPORT_TARGET_STATISTICS };

/**
 * `reports.targets` names KPIs: a typo (`availabilty`) or a quantile of a KPI without quantiles
 * would otherwise fall back silently to no target or to the mean.
 */
function checkReportTargets(
  c: { customKpis: ReadonlyArray<{ name: string; aggregation: string }>; reports: { targets: ReportTargets } },
  ctx: z.RefinementCtx,
): void {
  const aggregationOf = new Map<string, string>(BUILT_IN_KPIS.map((k) => [k.name, k.aggregation]));
  for (const k of c.customKpis) aggregationOf.set(k.name, k.aggregation);
  for (const [kpi, target] of Object.entries(c.reports.targets)) {
    const path = ['reports', 'targets', kpi];
    const aggregation = aggregationOf.get(kpi);
    if (aggregation === undefined) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `names KPI "${kpi}", which is neither a built-in KPI (README, KPI catalog) nor in customKpis`,
      });
      continue;
    }
    if (target.min === undefined && target.max === undefined) {
      ctx.addIssue({ code: 'custom', path, message: 'needs min or max (or both)' });
    }
    if (target.statistic !== undefined && target.statistic !== 'value' && aggregation !== 'quantiles') {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'statistic'],
        message: `must be "value": ${kpi} is a ${aggregation} KPI, it has no ${target.statistic}`,
      });
    }
  }
}

/**
 * The rules between a custom KPI's keys live in the catalog; they run here once, so a bad
 * declaration fails `parseConfig` with its key like any other.
 */
function checkCustomKpis(c: { customKpis: ReadonlyArray<z.output<typeof customKpiSchema>> }, ctx: z.RefinementCtx) {
  try {
    KpiCatalog.create(c.customKpis);
  } catch (err) {
    if (!(err instanceof InvalidCustomKpiError)) throw err;
    const path = err.field
      .split(/[.[\]]+/)
      .filter((p) => p !== '')
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    ctx.addIssue({ code: 'custom', path, message: err.rule });
  }
}

type ReportTargets = Record<
  string,
  { min?: number | undefined; max?: number | undefined; statistic?: string | undefined }
>;

const reportsSchema = z.strictObject({
  /** IANA time zone the schedules' cron expressions are evaluated in (checked against the runtime's IANA list). */
  timezone: z
    .string()
    .min(1)
    .refine(isIanaTimeZone, 'must be an IANA time zone name such as UTC, Europe/Berlin or America/New_York')
    .default('UTC'),
  /**
   * Reserved concurrency of the report function. Unset (the default) reserves none: accounts whose
   * Lambda concurrency quota is 10, as new accounts have, cannot reserve any.
   */
  reservedConcurrency: positiveInt.optional(),
  senderEmail: email.default('reports@example.com'),
  schedules: z
    .strictObject({
      system_health: reportScheduleSchema.default({
        enabled: true,
        cron: 'cron(0 8 * * ? *)',
        recipients: ['techleads@example.com', 'cto@example.com'],
      }),
      business_performance: reportScheduleSchema.default({
        enabled: true,
        cron: 'cron(0 9 * * ? *)',
        recipients: ['revenue@example.com', 'cro@example.com'],
      }),
      executive_summary: reportScheduleSchema.default({
        enabled: true,
        cron: 'cron(0 8 ? * MON *)',
        recipients: ['exec@example.com'],
      }),
      client_success: reportScheduleSchema.default({
        enabled: true,
        cron: 'cron(0 8 ? * FRI *)',
        recipients: ['success@example.com'],
      }),
    })
    .prefault({}),
  /** Targets reports compare against (KPI name -> bound), from the operations spec. */
  targets: z
    .record(
      z.string(),
      z.strictObject({
        min: z.number().optional(),
        max: z.number().optional(),
        statistic: z.enum(REPORT_TARGET_STATISTICS, `must be one of ${REPORT_TARGET_STATISTICS.join(', ')}`).optional(),
      }),
    )
    // The built-in KPIs' report targets, from their catalog entries.
    .default(builtInReportTargets),
  /**
   * Business targets shown in the business and executive reports where set; unset by default
   * because they are the business's own numbers, not the operations spec's.
   */
  businessTargets: z
    .strictObject({
      /** Minimum stage-to-stage conversion, keyed `lead_to_contacted`, ... (0..1). */
      conversion: z.record(z.string(), z.number().min(0).max(1, 'must be a share between 0 and 1')).default({}),
      /** Net new MRR per week, USD. */
      netNewMrrUsdPerWeek: z.number().optional(),
      /** Won deal value per week, USD. */
      wonValueUsdPerWeek: z.number().min(0).optional(),
    })
    .prefault({}),
});

/** The configuration document as written by users (every section optional). */
export const pipelineConfigSchema = z
  .strictObject({
    /** Resource name prefix, e.g. stack names `<name>-data`, `<name>-pipeline`. */
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,30}$/, 'must start with a letter; letters, digits and dashes, <= 31 chars')
      .default('agent-kpi'),
    env: z
      .strictObject({
        account: z
          .string()
          .regex(/^\d{12}$/)
          .optional(),
        region: z.string().optional(),
      })
      .optional(),
    metricsNamespace: z.string().min(1).max(255).default('AgentKpi'),
    tiers: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,30}$/), tierSchema).default(DEFAULT_TIERS),
    tenants: z.array(tenantSchema).default([]),
    stream: streamSchema.prefault({}),
    aggregator: aggregatorSchema.prefault({}),
    retention: retentionSchema.prefault({}),
    ingestion: ingestionSchema.prefault({}),
    alarms: alarmsSchema.prefault({}),
    escalation: escalationSchema.prefault({}),
    /** Grouping, damping and inhibition of alerts into incidents. */
    alerting: alertingSchema.prefault({}),
    reports: reportsSchema.prefault({}),
    silences: z.array(silenceSchema).default([]),
    healthScore: healthScoreSchema.prefault({}),
    customKpis: z.array(customKpiSchema).default([]),
    deployment: deploymentSchema.prefault({}),
    /** A/B experiments over the KPIs (lambdas/core/experiments). */
    experiments: z.array(experimentSchema).default([]),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.tenants.forEach((t, i) => {
      if (seen.has(t.id))
        ctx.addIssue({ code: 'custom', path: ['tenants', i, 'id'], message: `duplicates tenant "${t.id}"` });
      seen.add(t.id);
      if (!(t.tier in c.tiers)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tenants', i, 'tier'],
          message: `names tier "${t.tier}", which is not defined in tiers (${Object.keys(c.tiers).join(', ')})`,
        });
      }
    });
    const contacts = c.escalation.contacts;
    for (const ladder of LADDERS) {
      c.escalation.ladders[ladder].forEach((level, li) => {
        level.contacts.forEach((id, ci) => {
          if (!(id in contacts)) {
            ctx.addIssue({
              code: 'custom',
              path: ['escalation', 'ladders', ladder, li, 'contacts', ci],
              message: `names contact "${id}", which is not defined in escalation.contacts`,
            });
          }
        });
      });
    }
    c.escalation.chatContacts.forEach((id, i) => {
      const contact = contacts[id];
      if (contact === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['escalation', 'chatContacts', i],
          message: `names contact "${id}", which is not defined in escalation.contacts`,
        });
      } else if (contact.chatWebhookSecret === undefined && contact.email === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['escalation', 'contacts', id],
          message: 'a chat contact needs chatWebhookSecret (or at least email for the fallback)',
        });
      }
    });
    for (const [id, contact] of Object.entries(contacts)) {
      if (
        contact.email === undefined &&
        contact.phoneParameter === undefined &&
        contact.chatWebhookSecret === undefined
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['escalation', 'contacts', id],
          message: 'needs at least one of email, phoneParameter, chatWebhookSecret',
        });
      }
    }
    c.silences.forEach((s, i) => {
      if (s.tenant !== undefined && s.tenant !== FLEET_SCOPE && !seen.has(s.tenant)) {
        ctx.addIssue({
          code: 'custom',
          path: ['silences', i, 'tenant'],
          message: `names tenant "${s.tenant}", which is not in tenants`,
        });
      }
    });
    c.alarms.burnRates.forEach((b, i) => {
      if (b.shortWindowMinutes >= b.longWindowMinutes) {
        ctx.addIssue({
          code: 'custom',
          path: ['alarms', 'burnRates', i, 'shortWindowMinutes'],
          message: 'must be shorter than longWindowMinutes',
        });
      }
    });
  })
  .superRefine(checkReportTargets)
  .superRefine(checkCustomKpis)
  .superRefine(checkExperiments);

/** A validated configuration with every default filled in. */
export type PipelineConfig = z.output<typeof pipelineConfigSchema>;
/** The configuration as a user writes it (sections and keys optional). */
export type PipelineConfigInput = z.input<typeof pipelineConfigSchema>;
/** One tenant of the configuration. */
export type TenantConfig = PipelineConfig['tenants'][number];
/** One contact of the escalation configuration. */
export type ContactConfig = PipelineConfig['escalation']['contacts'][string];
/** One level of an escalation ladder. */
export type LadderLevelConfig = PipelineConfig['escalation']['ladders']['technical'][number];
/** The alert grouping, damping and inhibition settings. */
export type AlertingConfig = PipelineConfig['alerting'];
/** One inhibition rule. */
export type InhibitionConfig = AlertingConfig['inhibitions'][number];
/** One silence or maintenance window. */
export type SilenceConfig = PipelineConfig['silences'][number];
/** One custom KPI declaration. */
export type CustomKpiConfig = PipelineConfig['customKpis'][number];

/** A configuration that breaks a rule; `issues` name each key and rule (`key` and `rule`: the first). */
export class ConfigError extends ConfigurationError {
  /** One entry per broken rule: the dotted key and what it must satisfy. */
  readonly issues: ReadonlyArray<{ key: string; rule: string }>;
  constructor(source: string, issues: ReadonlyArray<{ key: string; rule: string }>) {
    super(
      issues[0]?.key ?? '',
      issues[0]?.rule ?? 'is invalid',
      `Invalid configuration ${source}:\n${issues.map((i) => `  - ${i.key || '(root)'}: ${i.rule}`).join('\n')}\n` +
        'Fix the keys above (README.md, section Configuration, lists every key and its default).',
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Validates a parsed configuration document and fills in every default.
 * @param input the parsed document (for example the JSON file's contents)
 * @param source where it came from, for error messages
 * @throws ConfigError naming each broken key and rule
 */
export function parseConfig(input: unknown, source = '(inline)'): PipelineConfig {
  const result = pipelineConfigSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => ({
        key: issue.path.map(String).join('.'),
        rule: issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message,
      })),
    );
  }
  return result.data;
}

/** The tier settings of a tenant (tiers are validated to exist). */
export function tierOf(config: PipelineConfig, tenantIdValue: string): PipelineConfig['tiers'][string] | undefined {
  const tenant = config.tenants.find((t) => t.id === tenantIdValue);
  return tenant === undefined ? undefined : config.tiers[tenant.tier];
}

/** Tenant ids whose tier asks for per-tenant alarms (and so per-tenant metric dimensions). */
export function perTenantAlarmTenants(config: PipelineConfig): string[] {
  return config.tenants.filter((t) => config.tiers[t.tier]?.perTenantAlarms === true).map((t) => t.id);
}

/**
 * Tenant ids with per-tenant CloudWatch metrics: exactly those whose tier has a per-tenant
 * dashboard, the only reader of them (per-tenant alarms are evaluated by the pipeline from the
 * KPI table, see docs/scale.md). A tier with a dashboard and no alarms therefore gets its metrics,
 * and one with alarms and no dashboard pays for none.
 */
export function perTenantMetricTenants(config: PipelineConfig): string[] {
  return perTenantDashboardTenants(config);
}

/** The acknowledgement signing secret's name: `escalation.ackSigningSecret`, else `<name>/ack-signing-key`. */
export function ackSigningSecretName(config: PipelineConfig): string {
  return config.escalation.ackSigningSecret ?? `${config.name}/ack-signing-key`;
}

/** Tenant ids whose tier asks for a per-tenant dashboard. */
export function perTenantDashboardTenants(config: PipelineConfig): string[] {
  return config.tenants.filter((t) => config.tiers[t.tier]?.perTenantDashboard === true).map((t) => t.id);
}

/**
 * The silence covering an alarm rule and tenant at an instant, if any.
 * @param ruleId the alarm rule id, e.g. `response_latency-p1`
 * @param tenant the tenant id, or `*` for a fleet alarm
 */
export function activeSilence(
  config: PipelineConfig,
  ruleId: string,
  tenant: string,
  atMs: number,
): SilenceConfig | undefined {
  return config.silences.find(
    (s) =>
      Date.parse(s.start) <= atMs &&
      atMs < Date.parse(s.end) &&
      (s.alarm === undefined || s.alarm === '*' || s.alarm === ruleId) &&
      (s.tenant === undefined || s.tenant === FLEET_SCOPE || s.tenant === tenant),
  );
}
