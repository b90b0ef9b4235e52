import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Key and TTL attribute names shared by the KPI and incidents tables (the adapters rely on them). */
export const TABLE_ATTRIBUTES = { partitionKey: 'pk', sortKey: 'sk', timeToLive: 'expiresAt' } as const;

/**
 * KMS actions a principal needs to read data encrypted under a customer managed key. Spelled out
 * (no `kms:*`-style wildcards) so the policies say exactly what they allow.
 */
export const KMS_DECRYPT_ACTIONS: readonly string[] = ['kms:Decrypt', 'kms:DescribeKey'];
/** KMS actions a principal needs to write data encrypted under a customer managed key. */
export const KMS_ENCRYPT_ACTIONS: readonly string[] = [
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

const TABLE_READ_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:Query',
];
const TABLE_WRITE_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

/**
 * Grants item-level access to one table and the use of its key, with explicit actions only
 * (no Scan: every access path of the pipeline is a key lookup or a query on `pk`).
 * @param access `read` for readers (reports), `readWrite` for writers (aggregator, escalation)
 */
export function grantTableData(
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  key: kms.IKey,
  access: 'read' | 'readWrite',
): void {
  const write = access === 'readWrite';
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: write ? [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS] : TABLE_READ_ACTIONS,
      resources: [table.tableArn],
    }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [...(write ? KMS_ENCRYPT_ACTIONS : KMS_DECRYPT_ACTIONS)],
      resources: [key.keyArn],
    }),
  );
}

/** Settings of the KPI store. */
export interface KpiStoreProps {
  /** Customer managed key encrypting both tables. */
  readonly encryptionKey: kms.IKey;
  /**
   * What happens to the tables when the stack is deleted.
   * @default RemovalPolicy.RETAIN (KPI history and incidents outlive the stack)
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Refuse DeleteTable while set (must be turned off in a deploy before a table can be deleted).
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * The KPI table (buckets, sketches, watermarks, health scores) and the incidents table
 * (incidents, pages, acknowledgements). Both on-demand, point-in-time recovery on, TTL on
 * `expiresAt` so old minute buckets and closed incidents age out at no cost, and encrypted
 * with the customer managed key.
 */
export class KpiStore extends Construct {
  /** KPI buckets keyed `pk`/`sk`. */
  readonly kpiTable: dynamodb.Table;
  /** Incidents keyed `pk`/`sk` (layout owned by the escalation engine). */
  readonly incidentsTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: KpiStoreProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const deletionProtection = props.deletionProtection ?? true;
    const common: dynamodb.TableProps = {
      partitionKey: { name: TABLE_ATTRIBUTES.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_ATTRIBUTES.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: TABLE_ATTRIBUTES.timeToLive,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      deletionProtection,
      removalPolicy,
    };
    this.kpiTable = new dynamodb.Table(this, 'KpiTable', common);
    this.incidentsTable = new dynamodb.Table(this, 'IncidentsTable', common);
  }
}
