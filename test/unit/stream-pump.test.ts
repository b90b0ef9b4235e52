/**
 * StreamPump resumes after the last record it read when a shard iterator expired (Kinesis expires
 * them after 5 minutes unused, which the stages before live mode can take).
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { StreamPump } from '../../cli/local/stream-pump';

function expired(): Error {
  const err = new Error('Iterator expired');
  err.name = 'ExpiredIteratorException';
  return err;
}

describe('StreamPump', () => {
  it('resumes AFTER_SEQUENCE_NUMBER of the last record read when its iterator expired', async () => {
    const iteratorRequests: Array<Record<string, unknown>> = [];
    let getRecordsCalls = 0;
    const client = {
      send: async (command: unknown) => {
        if (command instanceof ListShardsCommand) return { Shards: [{ ShardId: 'shard-0' }] };
        if (command instanceof GetShardIteratorCommand) {
          iteratorRequests.push({ ...command.input });
          return { ShardIterator: `it-${iteratorRequests.length}` };
        }
        if (command instanceof GetRecordsCommand) {
          getRecordsCalls++;
          const it = command.input.ShardIterator;
          if (it === 'it-1' && getRecordsCalls === 1) {
            return {
              Records: [{ SequenceNumber: '7', PartitionKey: 'acme', Data: Buffer.from('{}') }],
              NextShardIterator: 'old',
            };
          }
          if (it === 'old') throw expired();
          if (it === 'it-2' && getRecordsCalls === 4) {
            return {
              Records: [{ SequenceNumber: '8', PartitionKey: 'acme', Data: Buffer.from('{}') }],
              NextShardIterator: 'it-3',
            };
          }
          return { Records: [], NextShardIterator: it };
        }
        throw new Error(`unexpected ${String(command)}`);
      },
    } as unknown as KinesisClient;
    const seen: string[] = [];
    const invoke = async (event: KinesisStreamEvent) => {
      for (const r of event.Records) seen.push(r.kinesis.sequenceNumber);
      return undefined;
    };
    const pump = new StreamPump(
      client,
      { name: 'events', arn: 'arn:aws:kinesis:us-east-1:0:stream/events' },
      'us-east-1',
      invoke,
      100,
      0,
    );
    await pump.open();
    await pump.drain(0);
    // Reads 7; its next iterator has expired by the next call, so the pump asks for one after 7.
    await pump.drain(0);
    expect(seen).toEqual(['7', '8']);
    expect(iteratorRequests[1]).toMatchObject({
      ShardId: 'shard-0',
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
      StartingSequenceNumber: '7',
    });
  });
});
