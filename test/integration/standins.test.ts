import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localClientConfig, readSesStore, type StandIns, startStandIns } from '../../cli/local/standins';

describe('local AWS stand-ins', () => {
  let standIns: StandIns;

  beforeAll(async () => {
    standIns = await startStandIns(['dynamodb', 'kinesis', 'ses', 'sns']);
  });

  afterAll(async () => {
    await standIns?.stop();
  });

  it('listen on 127.0.0.1 on distinct ports', () => {
    const endpoints = [standIns.dynamodb, standIns.kinesis, standIns.ses, standIns.sns].map((s) => s?.endpoint);
    for (const e of endpoints) expect(e).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new Set(endpoints).size).toBe(4);
  });

  it('DynamoDB Local stores and returns an item', async () => {
    const ddb = new DynamoDBClient(localClientConfig(standIns.dynamodb!.endpoint));
    await ddb.send(
      new CreateTableCommand({
        TableName: 'probe',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    await ddb.send(new PutItemCommand({ TableName: 'probe', Item: { pk: { S: 'a' }, v: { N: '7' } } }));
    const got = await ddb.send(new GetItemCommand({ TableName: 'probe', Key: { pk: { S: 'a' } } }));
    expect(got.Item?.v).toEqual({ N: '7' });
    ddb.destroy();
  });

  it('kinesalite returns what was put, through the SDK v3 client', async () => {
    const kinesis = new KinesisClient(localClientConfig(standIns.kinesis!.endpoint));
    await kinesis.send(new CreateStreamCommand({ StreamName: 'probe', ShardCount: 1 }));
    const put = await kinesis.send(
      new PutRecordCommand({ StreamName: 'probe', PartitionKey: 't1', Data: Buffer.from('hello') }),
    );
    const shards = await kinesis.send(new ListShardsCommand({ StreamName: 'probe' }));
    const shardId = shards.Shards![0]!.ShardId!;
    expect(put.ShardId).toBe(shardId);
    const it0 = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: 'probe', ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const records = await kinesis.send(new GetRecordsCommand({ ShardIterator: it0.ShardIterator! }));
    expect(records.Records?.map((r) => Buffer.from(r.Data!).toString())).toEqual(['hello']);
    expect(records.Records?.[0]?.SequenceNumber).toBe(put.SequenceNumber);
    kinesis.destroy();
  });

  it('SES stand-in accepts SendEmail and shows the mail in its store', async () => {
    const ses = new SESClient(localClientConfig(standIns.ses!.endpoint));
    await ses.send(
      new SendEmailCommand({
        Source: 'alerts@example.com',
        Destination: { ToAddresses: ['oncall@example.com'] },
        Message: { Subject: { Data: 'probe subject' }, Body: { Text: { Data: 'probe body' } } },
      }),
    );
    const store = await readSesStore<{ subject: string; destination: { to: string[] } }>(standIns.ses!.endpoint);
    expect(store.emails.map((e) => e.subject)).toContain('probe subject');
    ses.destroy();
  });

  it('fauxqs delivers an SNS publish to a subscribed SQS queue and stores S3 objects', async () => {
    const cfg = localClientConfig(standIns.sns!.endpoint);
    const sns = new SNSClient(cfg);
    const sqs = new SQSClient(cfg);
    const s3 = new S3Client(cfg);
    const topic = await sns.send(new CreateTopicCommand({ Name: 'probe-topic' }));
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'probe-queue' }));
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl!, AttributeNames: ['QueueArn'] }),
    );
    await sns.send(
      new SubscribeCommand({
        TopicArn: topic.TopicArn!,
        Protocol: 'sqs',
        Endpoint: attrs.Attributes!.QueueArn!,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    await sns.send(new PublishCommand({ TopicArn: topic.TopicArn!, Message: 'page the on-call' }));
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl!, WaitTimeSeconds: 2, MaxNumberOfMessages: 10 }),
    );
    expect(received.Messages?.map((m) => m.Body)).toEqual(['page the on-call']);

    await s3.send(new CreateBucketCommand({ Bucket: 'probe-bucket' }));
    await s3.send(new PutObjectCommand({ Bucket: 'probe-bucket', Key: 'a/b.json', Body: '{"x":1}' }));
    const obj = await s3.send(new GetObjectCommand({ Bucket: 'probe-bucket', Key: 'a/b.json' }));
    expect(await obj.Body!.transformToString()).toBe('{"x":1}');
    sns.destroy();
    sqs.destroy();
    s3.destroy();
  });
});
