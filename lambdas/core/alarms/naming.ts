/**
 * Alarm naming convention. Severity, ladder, scope and rule travel in the alarm's name (and in
 * its tags), so the router never has to guess how to page:
 *
 * `<deployment>/<severity>/<ladder>/<scope>/<ruleId>`, e.g. `agent-kpi/P1/technical/fleet/response_latency-p1`
 *
 * `scope` is `fleet` or `tenant-<tenantId>`; tenant ids cannot contain `/`, so parsing is exact.
 */
import { LADDERS, type LadderName, SEVERITIES, type Severity } from '../config/schema';
import { scopeLabel } from '../vocabulary';

/** What an alarm's name says about it. */
export interface AlarmIdentity {
  /** The deployment name (config `name`). */
  readonly deployment: string;
  readonly severity: Severity;
  readonly ladder: LadderName;
  /** A tenant id, or `*` for a fleet alarm. */
  readonly tenant: string;
  /** The rule id, e.g. `response_latency-p1`, `slo-availability-p1-1h`, `rollup-p1`. */
  readonly ruleId: string;
}

/** An alarm name that does not follow the convention. */
export class AlarmNameError extends Error {
  constructor(name: string, why: string) {
    super(`Alarm name "${name}" does not follow <deployment>/<severity>/<ladder>/<scope>/<ruleId>: ${why}`);
    this.name = 'AlarmNameError';
  }
}

/** Builds the alarm name for an identity. */
export function formatAlarmName(id: AlarmIdentity): string {
  const scope = scopeLabel(id.tenant, (t) => `tenant-${t}`);
  return `${id.deployment}/${id.severity}/${id.ladder}/${scope}/${id.ruleId}`;
}

/**
 * Parses an alarm name built by {@link formatAlarmName}.
 * @throws AlarmNameError when it does not follow the convention
 */
export function parseAlarmName(name: string): AlarmIdentity {
  const parts = name.split('/');
  if (parts.length !== 5) throw new AlarmNameError(name, `expected 5 parts separated by "/", found ${parts.length}`);
  const [deployment, severity, ladder, scope, ruleId] = parts as [string, string, string, string, string];
  if (!(SEVERITIES as readonly string[]).includes(severity))
    throw new AlarmNameError(name, `unknown severity "${severity}"`);
  if (!(LADDERS as readonly string[]).includes(ladder)) throw new AlarmNameError(name, `unknown ladder "${ladder}"`);
  let tenant: string;
  if (scope === 'fleet') tenant = '*';
  else if (scope.startsWith('tenant-') && scope.length > 'tenant-'.length) tenant = scope.slice('tenant-'.length);
  else throw new AlarmNameError(name, `scope must be "fleet" or "tenant-<id>", found "${scope}"`);
  if (deployment === '' || ruleId === '') throw new AlarmNameError(name, 'deployment and rule id must not be empty');
  return { deployment, severity: severity as Severity, ladder: ladder as LadderName, tenant, ruleId };
}

/** Tag keys put on every alarm, mirroring its name. */
export const ALARM_TAGS = {
  severity: 'agent-kpi:severity',
  ladder: 'agent-kpi:ladder',
  tenant: 'agent-kpi:tenant',
  rule: 'agent-kpi:rule',
} as const;
