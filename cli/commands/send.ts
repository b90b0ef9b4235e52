/**
 * `kpi send FILE`: puts events on the pipeline's stream with PutRecords, in batches within the
 * service limits (500 records, 5 MiB per call, 1 MiB per record), retrying the records a call
 * reports as failed (throttling, internal errors) with exponential backoff and jitter.
 */
import { loadConfigFile } from '../../lib/config/load';
import { CommandFailedError, UsageError } from '../errors';
import type { CliIo } from '../io';
import { kinesisPut, type OutgoingRecord, oversizeReason, partitionKeyOf, sendRecords } from '../kinesis-send';
import { resolveTarget } from '../wiring';
import { readNdjsonFile } from './ndjson';
import type { TargetCliOptions } from './options';
import { createProgress } from './progress';

/** A record read from a file, with its line for messages. */
export interface FileRecord extends OutgoingRecord {
  readonly lineNumber: number;
}

/**
 * Reads an NDJSON file (or stdin for `-`) into records, skipping blank lines and a leading byte
 * order mark. Each record carries the line's bytes unchanged.
 * @throws UsageError when the file cannot be read (missing, a directory, no access)
 */
export async function readEventLines(file: string): Promise<FileRecord[]> {
  const lines = await readNdjsonFile(file);
  return lines.map(({ lineNumber, bytes }) => ({
    lineNumber,
    partitionKey: partitionKeyOf(bytes.toString('utf8')),
    data: bytes,
  }));
}

/** Options of `kpi send`. */
export interface SendCliOptions extends TargetCliOptions {
  maxAttempts: number;
  stream?: string;
}

/** Runs `kpi send`. */
export async function runSendCommand(file: string, opts: SendCliOptions, io: CliIo): Promise<void> {
  // The file first: an unreadable file is a usage error whatever the target.
  const all = await readEventLines(file);
  if (all.length === 0) throw new UsageError(`${file} holds no events (expected one JSON event a line).`);
  const config = loadConfigFile(opts.config);
  const target = resolveTarget(opts, config);
  // Records Kinesis would refuse are named up front, by line, and never sent.
  const refused = all.flatMap((r) => {
    const reason = oversizeReason(r);
    return reason === undefined ? [] : [`line ${r.lineNumber}: ${reason}`];
  });
  const records = all.filter((r) => oversizeReason(r) === undefined);
  const client = target.kinesis();
  const progress = createProgress(io, 'send', records.length);
  try {
    const result = await sendRecords(records, kinesisPut(client, target.resources.stream), {
      maxAttempts: opts.maxAttempts,
      onProgress: (n) => progress.update(n),
    });
    progress.stop();
    io.out(
      `Sent ${result.delivered} of ${all.length} records to ${target.resources.stream} ` +
        `(${result.calls} PutRecords calls, ${result.retried} records retried).\n`,
    );
    const problems: string[] = [];
    if (refused.length > 0) {
      problems.push(
        `${refused.length} records were refused, too large for Kinesis (split them or drop large fields):\n` +
          refused
            .slice(0, 5)
            .map((r) => `  - ${r}`)
            .join('\n'),
      );
    }
    if (result.undelivered.length > 0) {
      const sample = result.undelivered
        .slice(0, 5)
        .map((u) => `  - ${u.reason}`)
        .join('\n');
      problems.push(
        `${result.undelivered.length} records were not delivered after ${opts.maxAttempts} attempts:\n${sample}\n` +
          'Raise --max-attempts, or the stream capacity if the reason is ProvisionedThroughputExceededException.',
      );
    }
    if (problems.length > 0) throw new CommandFailedError(problems.join('\n'));
  } catch (err) {
    progress.stop();
    if (err instanceof CommandFailedError) throw err;
    const name = err instanceof Error ? err.name : 'Error';
    if (name === 'ResourceNotFoundException') {
      throw new CommandFailedError(
        `Stream ${target.resources.stream} does not exist in this target. Deploy the pipeline, or pass --stream.`,
        { cause: err },
      );
    }
    throw new CommandFailedError(`Sending failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    client.destroy();
  }
}
