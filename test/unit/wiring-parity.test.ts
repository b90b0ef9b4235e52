/**
 * Local mode and the Lambda entry points wire every handler through the same builder: given the
 * same configuration and environment, the adapters and their settings are the same, except the
 * overrides local mode documents (cli/local/handlers.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import { LocalEventBus } from '../../cli/local/event-bus';
import {
  aggregatorOverrides,
  escalationOverrides,
  localAggregator,
  localEnv,
  localEscalationDeps,
  localReportDeps,
  tenantAlarmsOverrides,
} from '../../cli/local/handlers';
import { localClientConfig } from '../../cli/local/standins';
import { defaultResourceNames } from '../../cli/wiring';
import { KpiCatalog } from '../../lambdas/core/catalog';
import type { LadderStarter } from '../../lambdas/core/escalation/ladder';
import { buildAckDeps } from '../../lambdas/handlers/ack/deps';
import { buildAggregatorDeps } from '../../lambdas/handlers/aggregator/deps';
import { buildRouterDeps } from '../../lambdas/handlers/alarm-router/deps';
import { buildNotifierDeps } from '../../lambdas/handlers/notifier/deps';
import { buildReportDeps } from '../../lambdas/handlers/report/deps';
import { buildTenantAlarmsDeps } from '../../lambdas/handlers/tenant-alarms/deps';
import { loadConfigFile } from '../../lib/config/load';

const config = loadConfigFile(`${__dirname}/../../config/pipeline.json`);
const env = localEnv(defaultResourceNames(config), config);
const local = localClientConfig('http://127.0.0.1:9');
const dynamodb = new DynamoDBClient(local);
const now = () => Date.UTC(2026, 10, 22, 10);
const stubLadder: LadderStarter = { start: async () => 'arn:local' };

/** Leaves of a dependency graph: path -> class name or value. Clients and big utilities are leaves. */
function shape(value: unknown, path = '', out: Record<string, unknown> = {}, depth = 0): Record<string, unknown> {
  if (typeof value === 'function') {
    out[path] = 'function';
    return out;
  }
  if (value === null || typeof value !== 'object') {
    out[path] = value;
    return out;
  }
  const name = (value as object).constructor?.name ?? 'Object';
  const isClient = 'middlewareStack' in value && 'config' in value;
  if (isClient || value instanceof Logger || value instanceof Metrics || value instanceof KpiCatalog || depth > 5) {
    out[path] = name;
    return out;
  }
  out[`${path}#class`] = name;
  const entries =
    value instanceof Map
      ? [...value.entries()]
      : value instanceof Set
        ? [...value].map((v, i) => [i, v])
        : Object.entries(value);
  for (const [k, v] of entries) shape(v, path === '' ? String(k) : `${path}.${String(k)}`, out, depth + 1);
  return out;
}

/** The paths where two graphs differ. */
function differences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

/** Drops the documented overrides' paths. */
function without(paths: readonly string[], overridden: readonly string[]): string[] {
  return paths.filter((p) => !overridden.some((o) => p === o || p.startsWith(`${o}.`) || p.startsWith(`${o}#`)));
}

function escalation() {
  const overrides = escalationOverrides(config, {
    dynamodb,
    ses: new SESClient(local),
    sns: new SNSClient(local),
    now,
  });
  return localEscalationDeps(config, env, overrides, () => stubLadder);
}

describe('local mode wires the handlers as the Lambda entry points do', () => {
  it('the notifier differs only in the secrets and phone numbers it looks up', () => {
    const diff = differences(shape(buildNotifierDeps(config, env)), shape(escalation().notifier));
    expect(diff.length).toBeGreaterThan(0);
    expect(without(diff, ['pager.channels.sms.phones', 'pager.channels.chat.webhooks'])).toEqual([]);
  });

  it('pages with the chat channel, 3 attempts and 96-bit acknowledgement nonces in both', () => {
    for (const deps of [buildNotifierDeps(config, env), escalation().notifier]) {
      const s = shape(deps);
      expect(Object.keys(s).filter((k) => /^pager\.channels\.[a-z]+#class$/.test(k))).toHaveLength(3);
      expect(s['pager.channels.chat#class']).toBe('ChatWebhookChannel');
      expect(s['pager.attempts']).toBe(3);
      expect(Buffer.from(deps.newNonce(), 'base64url')).toHaveLength(12);
    }
  });

  it('the acknowledgement handler and the report handler are the same', () => {
    expect(differences(shape(buildAckDeps(config, env)), shape(escalation().ack))).toEqual([]);
    const ses = new SESClient(local);
    expect(
      differences(shape(buildReportDeps(config, env)), shape(localReportDeps(config, env, { dynamodb, ses }, now))),
    ).toEqual([]);
  });

  it('the router differs only in where its ladders run; it stores with retention and publishes metrics', () => {
    const lambda = shape(buildRouterDeps(config, env));
    const diff = differences(lambda, shape(escalation().router));
    expect(without(diff, ['ladder'])).toEqual([]);
    expect(lambda['store.retentionMs']).toBe(config.retention.hourDays * 86_400_000);
    expect(lambda['metrics#class']).toBe('CloudWatchIncidentMetrics');
  });

  it('the aggregator differs only in where its EMF documents go', () => {
    const overrides = aggregatorOverrides({ dynamodb, s3: new S3Client(local) }, now);
    const diff = differences(
      shape(buildAggregatorDeps(config, env)),
      shape(localAggregator(config, env, overrides).wired),
    );
    expect(without(diff, ['aggregate.metrics.metrics', 'aggregate.metrics.inner.metrics'])).toEqual([]);
  });

  it('the per-tenant alarm evaluator is the same, its EventBridge client putting events on the local bus', () => {
    const withSource: typeof env = (name) => (name === 'ALARM_EVENT_SOURCE' ? 'agent-kpi.tenant-alarms' : env(name));
    const bus = new LocalEventBus(now, () => {});
    const lambda = buildTenantAlarmsDeps(config, withSource);
    const wired = buildTenantAlarmsDeps(config, withSource, tenantAlarmsOverrides(dynamodb, bus.client(), now));
    expect(differences(shape(lambda), shape(wired))).toEqual([]);
    expect(lambda.plans.map((p) => p.tenant)).toEqual(['acme-voice']);
  });
});
