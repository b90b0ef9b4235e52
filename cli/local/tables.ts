/**
 * The local tables: the KPI table from the KPI store's declared schema, and the others exactly as
 * the synthesized templates declare them.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { KPI_TABLE_SCHEMA } from '../../lambdas/adapters/kpi-store-dynamodb';
import { ENV } from '../../lambdas/handlers/composition/env';
import { resourcesOfType, type SynthesizedTemplates, tableLogicalIdFromEnvironment } from '../synth';

/**
 * Creates the KPI table with the key schema and TTL attribute the KPI store declares for both the
 * CDK construct and local mode. Created before synthesis ends, so ingestion need not wait for it.
 */
export async function createKpiTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: KPI_TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
        { AttributeName: KPI_TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: KPI_TABLE_SCHEMA.partitionKey, AttributeType: 'S' },
        { AttributeName: KPI_TABLE_SCHEMA.sortKey, AttributeType: 'S' },
      ],
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: KPI_TABLE_SCHEMA.ttlAttribute, Enabled: true },
    }),
  );
}

/** The environment variables through which the handlers name their tables, per table. */
export const TABLE_VARIABLES = {
  kpi: ENV.kpiTable,
  incidents: ENV.incidentsTable,
  alarmStates: ENV.alarmStateTable,
} as const;

/**
 * Creates a table exactly as the synthesized template declares it (keys, indexes, TTL), under a
 * local name: the table the handler's environment variable `variable` points to.
 * @throws Error when no function of the templates names a table through `variable`
 */
export async function createTableFromTemplate(
  client: DynamoDBClient,
  templates: SynthesizedTemplates,
  variable: string,
  tableName: string,
): Promise<void> {
  const logicalId = tableLogicalIdFromEnvironment(templates, variable);
  const table = resourcesOfType(templates, 'AWS::DynamoDB::Table').find((t) => t.logicalId === logicalId);
  if (table === undefined) throw new Error(`No table in the synthesized app is named by ${variable}`);
  const p = table.properties as {
    KeySchema: CreateTableCommandInput['KeySchema'];
    AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
    GlobalSecondaryIndexes?: CreateTableCommandInput['GlobalSecondaryIndexes'];
    TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
  };
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: p.KeySchema,
      AttributeDefinitions: p.AttributeDefinitions,
      ...(p.GlobalSecondaryIndexes === undefined ? {} : { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes }),
    }),
  );
  const ttl = p.TimeToLiveSpecification;
  if (ttl?.Enabled === true && ttl.AttributeName !== undefined) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
      }),
    );
  }
}
