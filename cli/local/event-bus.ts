/**
 * The default event bus of a local run. EventBridge has no local stand-in, so the per-tenant alarm
 * evaluator's EventBridge client is a real SDK client whose PutEvents calls end here: each entry
 * becomes the event EventBridge would deliver to the rule's target (the alarm router), stamped
 * with the run's clock, and nothing leaves the process.
 */
import { EventBridgeClient, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION } from '../wiring';

/** An event as EventBridge hands it to a rule's target. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

/** An event and when the bus delivered it (the run's clock at PutEvents), epoch ms. */
export interface DeliveredEvent {
  readonly atMs: number;
  readonly event: BusEvent;
}

/** The local default bus: delivers every put event to `deliver`, in order. */
export class LocalEventBus {
  private count = 0;

  constructor(
    private readonly now: () => number,
    private readonly deliver: (delivered: DeliveredEvent) => void,
  ) {}

  /** An EventBridge client whose PutEvents goes to this bus; any other call is refused. */
  client(): EventBridgeClient {
    const client = new EventBridgeClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    client.middlewareStack.add(
      (_next, context) => async (args) => {
        if (context.commandName !== 'PutEventsCommand') {
          throw new Error(`the local event bus supports PutEvents only, not ${context.commandName}`);
        }
        const entries = (args.input as PutEventsCommandInput).Entries ?? [];
        const ids = entries.map((entry) => this.put(entry));
        return {
          output: { $metadata: {}, FailedEntryCount: 0, Entries: ids.map((EventId) => ({ EventId })) },
          response: {},
        };
      },
      { step: 'initialize', name: 'localEventBus' },
    );
    return client;
  }

  private put(entry: NonNullable<PutEventsCommandInput['Entries']>[number]): string {
    const atMs = this.now();
    const id = `local-bus-${++this.count}`;
    this.deliver({
      atMs,
      event: {
        version: '0',
        id,
        'detail-type': entry.DetailType ?? '',
        source: entry.Source ?? '',
        account: LOCAL_ACCOUNT,
        // EventBridge keeps the entry's Time (second precision), else the time it was put.
        time: new Date(Math.floor((entry.Time?.getTime() ?? atMs) / 1000) * 1000).toISOString(),
        region: LOCAL_REGION,
        resources: entry.Resources ?? [],
        detail: JSON.parse(entry.Detail ?? '{}') as unknown,
      },
    });
    return id;
  }
}
