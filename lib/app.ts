import { type App, Aspects, type Environment, Tags } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { catalogFor } from '../lambdas/core/catalog/for-config';
import type { PipelineConfig } from '../lambdas/core/config/schema';
import { AlertingStack } from './stacks/alerting-stack';
import { DataStack } from './stacks/data-stack';
import { PipelineStack } from './stacks/pipeline-stack';

/** The stacks of one deployment. */
export interface PipelineApp {
  /** Stateful: stream, tables, quarantine, key. */
  readonly data: DataStack;
  /** Stateless: aggregator, reports, dashboards. */
  readonly pipeline: PipelineStack;
  /** Alarms and escalation. */
  readonly alerting?: AlertingStack;
}

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /**
   * Account and region of every stack (the configuration's `env` wins).
   * @default - environment-agnostic stacks
   */
  readonly env?: Environment;
  /**
   * The synth-time clock (epoch ms); the dashboards draw experiments whose end is after it.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * Builds every stack of a deployment from one validated configuration, and runs the cdk-nag
 * AwsSolutions checks on them. Used by bin/app.ts and by the infrastructure tests, so the
 * tests check exactly what `cdk deploy` ships.
 * @throws InvalidCustomKpiError when a custom KPI of the configuration cannot be used
 */
export function buildApp(app: App, config: PipelineConfig, options: BuildAppOptions = {}): PipelineApp {
  const catalog = catalogFor(config);
  const env: Environment | undefined =
    config.env === undefined ? options.env : { ...options.env, ...stripUndefined(config.env) };
  const data = new DataStack(app, `${config.name}-data`, {
    config,
    env,
    description: `${config.name}: event stream, KPI and incident tables, quarantine (retained on delete).`,
  });
  const alerting = new AlertingStack(app, `${config.name}-alerting`, {
    config,
    catalog,
    env,
    incidentsTable: data.incidentsTable,
    kpiTable: data.kpiTable,
    encryptionKey: data.encryptionKey,
    description: `${config.name}: alarms, escalation ladders and notifications.`,
  });
  const pipeline = new PipelineStack(app, `${config.name}-pipeline`, {
    config,
    catalog,
    env,
    stream: data.stream,
    kpiTable: data.kpiTable,
    incidentsTable: data.incidentsTable,
    quarantineBucket: data.quarantineBucket,
    encryptionKey: data.encryptionKey,
    alarmNamesBySeverity: alerting.alarmNamesBySeverity,
    ...(options.now === undefined ? {} : { now: options.now }),
    description: `${config.name}: aggregator, scheduled reports and dashboards.`,
  });
  Tags.of(app).add('agent-kpi:deployment', config.name);
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { data, pipeline, alerting };
}

function stripUndefined(env: NonNullable<PipelineConfig['env']>): Environment {
  return {
    ...(env.account === undefined ? {} : { account: env.account }),
    ...(env.region === undefined ? {} : { region: env.region }),
  };
}
