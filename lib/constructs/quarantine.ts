import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

/** Settings of the quarantine. */
export interface QuarantineProps {
  /** Customer managed key encrypting quarantined records. */
  readonly encryptionKey: kms.IKey;
  /**
   * Quarantined records (and their old versions) are deleted after this many days.
   * @default 30
   */
  readonly expirationDays?: number;
  /**
   * Server access logs are deleted after this many days.
   * @default 90
   */
  readonly accessLogExpirationDays?: number;
  /**
   * What happens to both buckets when the stack is deleted.
   * @default RemovalPolicy.RETAIN (rejected records are evidence for producers' owners)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The dead-letter store for rejected records: one object per rejected record with its reason,
 * encrypted with the customer managed key, private, TLS only, versioned, expiring after the
 * configured days, with server access logs to a separate bucket.
 */
export class Quarantine extends Construct {
  /** Rejected records. */
  readonly bucket: s3.Bucket;
  /** Server access logs of {@link bucket}. */
  readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: QuarantineProps) {
    super(scope, id);
    const expirationDays = props.expirationDays ?? 30;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    // Deliver access logs through a bucket policy (AWS's recommendation) rather than the legacy
    // LogDeliveryWrite ACL, which would need ACLs enabled; scoped here so it holds whatever the app's flags.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    // S3 server access logging cannot deliver to an SSE-KMS bucket, hence SSE-S3 here.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(props.accessLogExpirationDays ?? 90) }],
      removalPolicy,
    });
    NagSuppressions.addResourceSuppressions(this.accessLogsBucket, [
      {
        id: 'AwsSolutions-S1',
        reason: 'This is the access-log destination itself; logging it to another bucket would recurse.',
      },
    ]);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'quarantine/',
      lifecycleRules: [
        {
          expiration: Duration.days(expirationDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
    });
  }
}

/**
 * Lets `grantee` add quarantined records to `bucket`: PutObject only (it can neither read, list nor
 * delete them) and a data key of the bucket's key.
 */
export function grantQuarantinePut(grantee: iam.IGrantable, bucket: s3.IBucket, encryptionKey: kms.IKey): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('*')] }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [encryptionKey.keyArn] }),
  );
}
