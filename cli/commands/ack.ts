/**
 * `kpi ack INCIDENT`: acknowledges an incident in the incidents store, as the link in a page
 * does; the ladder sees it at its next check and stops climbing.
 */
import { DynamoDbIncidentStore } from '../../lambdas/adapters/incident-store-dynamodb';
import { acknowledgeIncident, IncidentNotFoundError, IncidentStateError } from '../../lambdas/core/incidents';
import { loadConfigFile } from '../../lib/config/load';
import { CommandFailedError, UsageError } from '../errors';
import type { CliIo } from '../io';
import { resolveTarget } from '../wiring';
import type { TargetCliOptions } from './options';

/** Options of `kpi ack`. */
export interface AckCliOptions extends TargetCliOptions {
  by: string;
  incidentTable?: string;
}

/** Runs `kpi ack`. */
export async function runAckCommand(incidentId: string, opts: AckCliOptions, io: CliIo): Promise<void> {
  if (!/^inc-[0-9a-f]{6,64}$/.test(incidentId)) {
    throw new UsageError(
      `"${incidentId}" is not an incident id; ids look like inc-3f9a1c0d2b7e (see the page or incidents.json).`,
    );
  }
  const config = loadConfigFile(opts.config);
  const target = resolveTarget(opts, config);
  const client = target.dynamodb();
  try {
    const store = new DynamoDbIncidentStore(client, {
      tableName: opts.incidentTable ?? target.resources.incidentTable,
    });
    const updated = await store.update(incidentId, (i) => acknowledgeIncident(i, `cli:${opts.by}`, io.now()));
    io.out(
      `Incident ${updated.id} (${updated.alarmName}) is acknowledged by ${updated.acknowledgedBy ?? opts.by}` +
        ` at level ${updated.level}; its ladder stops climbing at the next check.\n`,
    );
  } catch (err) {
    if (err instanceof IncidentNotFoundError || err instanceof IncidentStateError) {
      throw new CommandFailedError(err.message, { cause: err });
    }
    throw new CommandFailedError(
      `Acknowledging failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}. ` +
        'Check the target (--local / --region) and --incident-table.',
      { cause: err },
    );
  } finally {
    client.destroy();
  }
}
