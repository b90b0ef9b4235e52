import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FLEET_DIMENSION_VALUE } from '../../lambdas/core/alarms/metric-contract';
import type { KpiCatalog, KpiDefinition } from '../../lambdas/core/catalog';
import {
  type PipelineConfig,
  perTenantDashboardTenants,
  SEVERITIES,
  type Severity,
} from '../../lambdas/core/config/schema';
import {
  isTrafficKpi,
  type PublishedKpi,
  publishedKpis,
  tenantDashboardKpis,
} from '../../lambdas/core/dashboards/tenant-metrics';
import { experimentDimensions, experimentMetrics, runningExperiments } from '../../lambdas/core/experiments';

/** CloudWatch's limit of widgets on one dashboard. */
export const CLOUDWATCH_MAX_WIDGETS = 500;
/** CloudWatch's limit of alarms in one alarm status widget. */
const MAX_ALARMS_PER_STATUS_WIDGET = 100;
/** The metric dimension value of fleet-wide KPI metrics. */
export const FLEET_TENANT_DIMENSION = FLEET_DIMENSION_VALUE;

/**
 * Splits widgets into pages of at most `max`, in order, so a dashboard never exceeds CloudWatch's
 * limit: a catalog with many custom KPIs becomes `name`, `name-2`, ... instead of a failed deploy.
 */
export function paginateWidgets<T>(widgets: readonly T[], max: number = CLOUDWATCH_MAX_WIDGETS): T[][] {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`max widgets per dashboard must be >= 1, got ${max}`);
  const pages: T[][] = [];
  for (let i = 0; i < widgets.length; i += max) pages.push(widgets.slice(i, i + max));
  return pages.length === 0 ? [[]] : pages;
}

/** Builds the KPI widgets of one scope (the fleet, or one tenant), from the catalog. */
export class KpiWidgetFactory {
  private readonly kpis: readonly PublishedKpi[];

  constructor(
    catalog: KpiCatalog,
    private readonly namespace: string,
    /** `ALL` for the fleet, a tenant id otherwise. */
    private readonly tenant: string,
    private readonly period: Duration,
    /** The KPIs to draw. @default every published KPI of the catalog */
    kpis?: readonly PublishedKpi[],
  ) {
    this.kpis = kpis ?? publishedKpis(catalog);
  }

  private metric(kpi: KpiDefinition, statistic: string, label?: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName: kpi.metric!.name,
      dimensionsMap: { Tenant: this.tenant },
      statistic,
      period: this.period,
      label: label ?? kpi.title,
    });
  }

  /** Statistic of a KPI's headline value: sums for counts, averages for rates, means and scores. */
  private headlineStatistic(kpi: KpiDefinition): string {
    return kpi.aggregation === 'count' || kpi.aggregation === 'sum' ? 'Sum' : 'Average';
  }

  /** Event volume: every published count KPI of the operational sections, summed per period. */
  traffic(): cloudwatch.IWidget[] {
    const counts = this.kpis.filter(isTrafficKpi);
    if (counts.length === 0) return [];
    return [
      new cloudwatch.GraphWidget({
        title: 'Traffic',
        width: 24,
        height: 6,
        left: counts.map((k) => this.metric(k, 'Sum')),
      }),
    ];
  }

  /** One graph of p50/p95/p99 per quantile KPI (latencies, handle and resolution times). */
  latency(): cloudwatch.IWidget[] {
    return this.kpis
      .filter((k) => k.aggregation === 'quantiles')
      .map(
        (k) =>
          new cloudwatch.GraphWidget({
            title: `${k.title} (p50 / p95 / p99)`,
            width: 8,
            height: 6,
            left: ['p50', 'p95', 'p99'].map((p) => this.metric(k, p, `${k.title} ${p}`)),
          }),
      );
  }

  /** Error rates (rates where lower is better) and availability/success rates (higher is better). */
  errorsAndAvailability(): cloudwatch.IWidget[] {
    const rates = this.kpis.filter((k) => k.aggregation === 'rate' && !k.custom);
    const errors = rates.filter((k) => k.direction === 'lower_is_better');
    const good = rates.filter((k) => k.direction === 'higher_is_better');
    const widgets: cloudwatch.IWidget[] = [];
    if (errors.length > 0) {
      widgets.push(
        new cloudwatch.GraphWidget({
          title: 'Error rates',
          width: 12,
          height: 6,
          left: errors.map((k) => this.metric(k, 'Average')),
          leftYAxis: { min: 0, showUnits: false },
        }),
      );
    }
    if (good.length > 0) {
      widgets.push(
        new cloudwatch.GraphWidget({
          title: 'Availability and success rates',
          width: 12,
          height: 6,
          left: good.map((k) => this.metric(k, 'Average')),
          leftYAxis: { max: 1, showUnits: false },
        }),
      );
    }
    return widgets;
  }

  /**
   * The remaining published KPIs (business, satisfaction, custom ...), grouped by their catalog
   * dashboard section: a header per section and one graph per KPI.
   */
  sections(): cloudwatch.IWidget[] {
    const shown = (k: KpiDefinition) =>
      (k.aggregation === 'count' && k.unit === 'count') ||
      k.aggregation === 'quantiles' ||
      (k.aggregation === 'rate' && !k.custom && k.direction !== 'neutral');
    const bySection = new Map<string, KpiDefinition[]>();
    for (const k of this.kpis) {
      if (shown(k)) continue;
      const section = k.dashboard?.section ?? 'Other';
      bySection.set(section, [...(bySection.get(section) ?? []), k]);
    }
    const widgets: cloudwatch.IWidget[] = [];
    for (const [section, kpis] of bySection) {
      widgets.push(new cloudwatch.TextWidget({ markdown: `## ${section}`, width: 24, height: 1 }));
      for (const k of kpis) {
        widgets.push(
          new cloudwatch.GraphWidget({
            title: k.title,
            width: 8,
            height: 6,
            left: [this.metric(k, this.headlineStatistic(k))],
          }),
        );
      }
    }
    return widgets;
  }

  /** Every KPI widget of the scope, in dashboard order. */
  all(): cloudwatch.IWidget[] {
    return [...this.traffic(), ...this.latency(), ...this.errorsAndAvailability(), ...this.sections()];
  }
}

/**
 * Alarm status widgets, one per severity (split by CloudWatch's 100 alarms per widget). Alarms are
 * named, not referenced: the ARN is built in the dashboard's own stack, so no alarm of another
 * stack becomes a CloudFormation export that a later configuration change could not delete.
 */
export function alarmStatusWidgets(
  scope: Construct,
  alarmNamesBySeverity: Partial<Record<Severity, readonly string[]>>,
): cloudwatch.IWidget[] {
  const widgets: cloudwatch.IWidget[] = [];
  const stack = Stack.of(scope);
  for (const severity of SEVERITIES) {
    const alarms = (alarmNamesBySeverity[severity] ?? []).map((name, i) =>
      cloudwatch.Alarm.fromAlarmArn(
        scope,
        `Status${severity}-${i}`,
        stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: name,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ),
    );
    for (let i = 0; i < alarms.length; i += MAX_ALARMS_PER_STATUS_WIDGET) {
      const part = i === 0 ? '' : ` (${i / MAX_ALARMS_PER_STATUS_WIDGET + 1})`;
      widgets.push(
        new cloudwatch.AlarmStatusWidget({
          title: `${severity} alarms${part}`,
          alarms: alarms.slice(i, i + MAX_ALARMS_PER_STATUS_WIDGET),
          width: 6,
          height: 4,
          sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
        }),
      );
    }
  }
  return widgets;
}

/**
 * One graph per experiment that is running or yet to start at `nowMs` (no end, or an end after
 * it): its primary KPI per variant, as the aggregator publishes it (`experimentMetrics`), behind a
 * header. None when no experiment qualifies. Hourly points: a variant sees a fraction of the
 * traffic, and the verdict comes from `kpi experiment`, not from the graph.
 */
export function experimentWidgets(
  config: Pick<PipelineConfig, 'experiments' | 'metricsNamespace'>,
  catalog: KpiCatalog,
  nowMs: number,
): cloudwatch.IWidget[] {
  const metrics = experimentMetrics(runningExperiments(config.experiments, nowMs), catalog);
  if (metrics.length === 0) return [];
  return [
    new cloudwatch.TextWidget({
      markdown:
        '## Experiments\nPrimary KPI per variant, hourly. The verdict, with intervals and the sample-ratio check: ' +
        '`kpi experiment <id>`.',
      width: 24,
      height: 2,
    }),
    ...metrics.map(
      (m) =>
        new cloudwatch.GraphWidget({
          title: `Experiment ${m.experiment}: ${m.kpi.title}${m.statistic === 'Average' ? '' : ` ${m.statistic}`} by variant`,
          width: 12,
          height: 6,
          left: m.variants.map(
            (variant) =>
              new cloudwatch.Metric({
                namespace: config.metricsNamespace,
                metricName: m.metricName,
                dimensionsMap: experimentDimensions(m.experiment, variant),
                statistic: m.statistic,
                period: Duration.hours(1),
                label: variant === m.control ? `${variant} (control)` : variant,
              }),
          ),
          ...(m.kpi.unit === 'ratio' ? { leftYAxis: { min: 0, max: 1, showUnits: false } } : {}),
        }),
    ),
  ];
}

/** Settings of the dashboards. */
export interface DashboardsProps {
  /** The resolved configuration: name, metric namespace, tenants and tiers. */
  readonly config: PipelineConfig;
  /** The KPI catalog the KPI widgets are generated from. */
  readonly catalog: KpiCatalog;
  /**
   * Names of the alarms shown by severity on the fleet overview (the alerting stack's
   * `alarmNamesBySeverity` and the pipeline health alarms). Names, not alarms: see {@link alarmStatusWidgets}.
   * @default - no alarm status widgets
   */
  readonly alarmNamesBySeverity?: Partial<Record<Severity, readonly string[]>>;
  /** The aggregator function (iterator age, errors, duration, concurrency, throttles). */
  readonly aggregator: lambda.IFunction;
  /**
   * The report function.
   * @default - no report widgets
   */
  readonly reportFunction?: lambda.IFunction;
  /** The event stream (incoming records, throughput exceeded). */
  readonly stream: kinesis.IStream;
  /** The quarantine bucket (object count). */
  readonly quarantineBucket: s3.IBucket;
  /**
   * Queues whose depth means lost work (event source on-failure, schedule dead letters).
   * @default - none
   */
  readonly failureQueues?: readonly sqs.IQueue[];
  /**
   * Widgets per dashboard before it is split into `-2`, `-3`, ...
   * @default CLOUDWATCH_MAX_WIDGETS (500)
   */
  readonly maxWidgetsPerDashboard?: number;
  /**
   * Period of the KPI graphs.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
  /**
   * The synth-time clock (epoch ms): experiments whose end has passed get no widget.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * CloudWatch dashboards generated from the KPI catalog: the fleet overview, the pipeline health
 * dashboard, and one dashboard with a tenant picker for the tenants whose tier asks for it. Adding a KPI to the catalog
 * (or a custom KPI to the configuration) adds its widgets here with no edit.
 */
export class Dashboards extends Construct {
  /** Fleet overview pages (one unless the catalog outgrows the widget limit). */
  readonly fleetOverview: cloudwatch.Dashboard[];
  /** Pipeline health pages. */
  readonly pipelineHealth: cloudwatch.Dashboard[];
  /** The per-tenant dashboard's pages (one dashboard with a tenant picker; empty without such tenants). */
  readonly tenantDashboard: cloudwatch.Dashboard[];

  private readonly maxWidgets: number;

  constructor(scope: Construct, id: string, props: DashboardsProps) {
    super(scope, id);
    const { config, catalog } = props;
    this.maxWidgets = props.maxWidgetsPerDashboard ?? CLOUDWATCH_MAX_WIDGETS;
    const period = props.period ?? Duration.minutes(5);

    const fleet = new KpiWidgetFactory(catalog, config.metricsNamespace, FLEET_TENANT_DIMENSION, period);
    this.fleetOverview = this.pages('FleetOverview', `${config.name}-fleet-overview`, [
      new cloudwatch.TextWidget({
        markdown: `# ${config.name}: fleet overview\nAll tenants. Namespace \`${config.metricsNamespace}\`, dimension \`Tenant=ALL\`.`,
        width: 24,
        height: 2,
      }),
      ...alarmStatusWidgets(this, props.alarmNamesBySeverity ?? {}),
      ...fleet.all(),
      ...experimentWidgets(config, catalog, (props.now ?? Date.now)()),
    ]);

    this.pipelineHealth = this.pages('PipelineHealth', `${config.name}-pipeline-health`, pipelineHealthWidgets(props));

    const tenants = perTenantDashboardTenants(config);
    this.tenantDashboard = [];
    const first = tenants[0];
    if (first !== undefined) {
      // One dashboard for every tenant, with a tenant picker, instead of a dashboard per tenant
      // ($3 a month each): the picker rewrites the `Tenant` dimension of every widget.
      const factory = new KpiWidgetFactory(
        catalog,
        config.metricsNamespace,
        first,
        period,
        tenantDashboardKpis(catalog),
      );
      const names = new Map(config.tenants.map((t) => [t.id, t.name]));
      const variable = new cloudwatch.DashboardVariable({
        id: 'tenant',
        type: cloudwatch.VariableType.PROPERTY,
        inputType: cloudwatch.VariableInputType.SELECT,
        value: 'Tenant',
        label: 'Tenant',
        values: cloudwatch.Values.fromValues(
          ...tenants.map((id) => ({ value: id, label: `${names.get(id) ?? id} (${id})` })),
        ),
        defaultValue: cloudwatch.DefaultValue.value(first),
      });
      this.tenantDashboard = this.pages(
        'Tenants',
        `${config.name}-tenants`,
        [
          new cloudwatch.TextWidget({
            markdown:
              `# ${config.name}: one tenant\nPick the tenant above. Traffic and the KPIs its alarms watch ` +
              '(the rest is in its reports). Tenants of tiers with `perTenantDashboard`.',
            width: 24,
            height: 2,
          }),
          ...factory.all(),
        ],
        [variable],
      );
    }
  }

  private pages(
    id: string,
    name: string,
    widgets: cloudwatch.IWidget[],
    variables?: cloudwatch.IVariable[],
  ): cloudwatch.Dashboard[] {
    return paginateWidgets(widgets, this.maxWidgets).map((page, i) => {
      const suffix = i === 0 ? '' : `-${i + 1}`;
      const dashboard = new cloudwatch.Dashboard(this, `${id}${suffix}`, {
        dashboardName: `${name}${suffix}`,
        defaultInterval: Duration.hours(24),
        ...(variables === undefined ? {} : { variables }),
      });
      dashboard.addWidgets(...page);
      return dashboard;
    });
  }
}

const FIVE_MINUTES = Duration.minutes(5);

/** The stream and the aggregator: lag, traffic, errors, duration, concurrency. */
function streamAndAggregatorWidgets(props: DashboardsProps): cloudwatch.IWidget[] {
  const { aggregator, stream } = props;
  const fiveMinutes = FIVE_MINUTES;
  return [
    new cloudwatch.GraphWidget({
      title: 'Aggregator iterator age (how far behind the stream)',
      width: 12,
      height: 6,
      left: [aggregator.metric('IteratorAge', { statistic: 'Maximum', period: fiveMinutes })],
    }),
    new cloudwatch.GraphWidget({
      title: 'Stream: incoming records and throttles',
      width: 12,
      height: 6,
      left: [stream.metricIncomingRecords({ statistic: 'Sum', period: fiveMinutes })],
      right: [
        stream.metricWriteProvisionedThroughputExceeded({ statistic: 'Sum', period: fiveMinutes }),
        stream.metricReadProvisionedThroughputExceeded({ statistic: 'Sum', period: fiveMinutes }),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: 'Aggregator errors and throttles',
      width: 8,
      height: 6,
      left: [
        aggregator.metricErrors({ statistic: 'Sum', period: fiveMinutes }),
        aggregator.metricThrottles({ statistic: 'Sum', period: fiveMinutes }),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: 'Aggregator duration',
      width: 8,
      height: 6,
      left: ['p50', 'p99', 'Maximum'].map((s) =>
        aggregator.metricDuration({ statistic: s, period: fiveMinutes, label: `Duration ${s}` }),
      ),
    }),
    new cloudwatch.GraphWidget({
      title: 'Aggregator concurrency',
      width: 8,
      height: 6,
      left: [aggregator.metric('ConcurrentExecutions', { statistic: 'Maximum', period: fiveMinutes })],
    }),
  ];
}

/** Rejected records (the rejection KPIs) beside the objects kept in quarantine. */
function quarantineWidget(props: DashboardsProps): cloudwatch.IWidget {
  const { config, catalog, quarantineBucket } = props;
  const fiveMinutes = FIVE_MINUTES;
  const rejections = catalog.all().filter((k) => k.measure.kind === 'rejections' && k.metric !== undefined);
  return new cloudwatch.GraphWidget({
    title: 'Quarantine: rejected records and stored objects',
    width: 12,
    height: 6,
    left: rejections.map(
      (k) =>
        new cloudwatch.Metric({
          namespace: config.metricsNamespace,
          metricName: k.metric!.name,
          dimensionsMap: { Tenant: FLEET_TENANT_DIMENSION },
          statistic: 'Sum',
          period: fiveMinutes,
          label: k.title,
        }),
    ),
    right: [
      new cloudwatch.Metric({
        namespace: 'AWS/S3',
        metricName: 'NumberOfObjects',
        dimensionsMap: { BucketName: quarantineBucket.bucketName, StorageType: 'AllStorageTypes' },
        statistic: 'Average',
        // S3 storage metrics are daily.
        period: Duration.days(1),
        label: 'Objects in quarantine',
      }),
    ],
  });
}

/** Failure queues and the report function, when the deployment has them. */
function failureWidgets(props: DashboardsProps): cloudwatch.IWidget[] {
  const fiveMinutes = FIVE_MINUTES;
  const widgets: cloudwatch.IWidget[] = [];
  const queues = props.failureQueues ?? [];
  if (queues.length > 0) {
    widgets.push(
      new cloudwatch.GraphWidget({
        title: 'Failure queue depth (lost batches, missed reports)',
        width: 12,
        height: 6,
        left: queues.map((q) =>
          q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: fiveMinutes }),
        ),
      }),
    );
  }
  if (props.reportFunction !== undefined) {
    widgets.push(
      new cloudwatch.GraphWidget({
        title: 'Report function errors and duration',
        width: 12,
        height: 6,
        left: [props.reportFunction.metricErrors({ statistic: 'Sum', period: Duration.hours(1) })],
        right: [props.reportFunction.metricDuration({ statistic: 'Maximum', period: Duration.hours(1) })],
      }),
    );
  }
  return widgets;
}

/** Widgets of the pipeline health dashboard. */
function pipelineHealthWidgets(props: DashboardsProps): cloudwatch.IWidget[] {
  return [
    new cloudwatch.TextWidget({ markdown: `# ${props.config.name}: pipeline health`, width: 24, height: 1 }),
    ...streamAndAggregatorWidgets(props),
    quarantineWidget(props),
    ...failureWidgets(props),
  ];
}
