/**
 * {@link TenantAlarmStateStore} over a DynamoDB table keyed `pk` (the tenant id): one item per
 * tenant holding every alarm's state as JSON and a version for conditional writes. Reads are
 * BatchGetItem (100 keys a call); a write happens only when a state changes.
 */
import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  TenantAlarmError,
  type TenantAlarmStateStore,
  type TenantAlarmStates,
  type VersionedTenantStates,
} from '../core/tenant-alarms';

/** Settings of {@link DynamoDbTenantAlarmStateStore}. */
export interface DynamoDbTenantAlarmStateStoreProps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

const BATCH = 100;

/** Tenant alarm states in DynamoDB. */
export class DynamoDbTenantAlarmStateStore implements TenantAlarmStateStore {
  constructor(private readonly props: DynamoDbTenantAlarmStateStoreProps) {}

  async getMany(tenants: readonly string[]): Promise<Map<string, VersionedTenantStates>> {
    const out = new Map<string, VersionedTenantStates>();
    for (let i = 0; i < tenants.length; i += BATCH) {
      let keys: Record<string, { S: string }>[] | undefined = tenants
        .slice(i, i + BATCH)
        .map((t) => ({ pk: { S: t } }));
      for (let attempt = 0; keys !== undefined && keys.length > 0; attempt++) {
        if (attempt > 5) throw new TenantAlarmError('alarm states: unprocessed keys after 6 attempts', true);
        const res: BatchGetItemCommandOutput = await this.props.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.props.tableName]: { Keys: keys, ConsistentRead: true } },
          }),
        );
        for (const item of res.Responses?.[this.props.tableName] ?? []) {
          const tenant = item.pk?.S;
          if (tenant === undefined) continue;
          out.set(tenant, {
            states: JSON.parse(item.states?.S ?? '{}') as TenantAlarmStates,
            version: Number(item.version?.N ?? '0'),
          });
        }
        keys = res.UnprocessedKeys?.[this.props.tableName]?.Keys as typeof keys;
      }
    }
    return out;
  }

  async put(tenant: string, states: TenantAlarmStates, expectedVersion: number): Promise<boolean> {
    try {
      await this.props.client.send(
        new PutItemCommand({
          TableName: this.props.tableName,
          Item: {
            pk: { S: tenant },
            states: { S: JSON.stringify(states) },
            version: { N: String(expectedVersion + 1) },
          },
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(expectedVersion) } } }),
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }
}
