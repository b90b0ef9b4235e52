/**
 * The `kpi` command line: commands, options, help texts and the mapping of errors to exit codes.
 * Each command's implementation is loaded only when it runs (a typed `require`, which tsx and the
 * test transform both resolve), so `kpi --help` stays instant and a command never pays for the
 * SDKs of another.
 */
import { Command, CommanderError, InvalidArgumentError, Option, type OptionValues } from '@commander-js/extra-typings';
import { ConfigurationError } from '../../lambdas/core/configuration-error';
import { CommandFailedError, EXIT, InterruptedError, UsageError } from '../errors';
import type { CliIo } from '../io';
import type { AckCliOptions } from './ack';
import type { BacktestCliOptions } from './backtest';
import type { ExportCliOptions } from './export';
import type { LocalCliOptions } from './local';
import type { ReportCliOptions } from './report';
import type { SendCliOptions } from './send';
import type { SnapshotCliOptions } from './snapshot';

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number >= 1.`);
    return n;
  };
}

function wholeNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 30) throw new InvalidArgumentError(`${name} must be a whole number 0-30.`);
    return n;
  };
}

function finiteNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number > 0.`);
    return n;
  };
}

/** Adds the options that pick the deployed or the local pipeline; typed, so actions see them. */
function withTarget<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  return cmd
    .option('--local', 'use the running local pipeline (`kpi local --keep-running`)')
    .option('--region <region>', 'AWS region of the deployed pipeline')
    .option('--profile <profile>', 'AWS profile (shared config/credentials files)')
    .option('--state-file <path>', 'local state file written by `kpi local --keep-running`', '.kpi-local.json')
    .option('--kinesis-endpoint <url>', 'Kinesis endpoint (implies a local target)')
    .option('--dynamodb-endpoint <url>', 'DynamoDB endpoint (implies a local target)')
    .option('-c, --config <path>', 'pipeline configuration file', 'config/pipeline.json');
}

/**
 * Builds the `kpi` program. `io` receives all output (help included).
 */
export function buildProgram(io: CliIo) {
  const program = new Command('kpi')
    .description(
      'KPIs, alarms, escalation and reports for AI-agent fleets.\n' +
        'Run `kpi local` to see the whole pipeline work on this machine, no AWS account needed.',
    )
    .version('0.1.0', '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  program
    .command('local')
    .description(
      'Run the whole pipeline on local stand-ins over a simulated day: traffic, aggregation, alarms, escalation, reports.',
    )
    .option(
      '--events <file>',
      'run these events (NDJSON, one CloudEvent a line) with their own timestamps instead of the simulator',
    )
    .option(
      '--now <time>',
      'with --events: judge records late or future against this instant (RFC 3339; default: the current time)',
    )
    .option('--replay-live', 'with --events: process each record at its own event time, as if it were sent live')
    .option('--export-dir <dir>', 'write kpis.csv, rejected.ndjson, incidents.json and the rendered reports here')
    .addOption(new Option('--tenants <n>', 'simulated tenants').default(20).argParser(positiveInt('--tenants')))
    .addOption(
      new Option('--seed <n>', 'seed of the simulation (same seed, same day)')
        .default(42)
        .argParser(positiveInt('--seed')),
    )
    .addOption(
      new Option('--scale <factor>', 'traffic volume multiplier (1 = full size)')
        .default(0.1)
        .argParser(finiteNumber('--scale')),
    )
    .option('--date <YYYY-MM-DD>', 'the simulated UTC day (default: yesterday)')
    .option('--no-incident', 'do not inject the demo incident')
    .addOption(
      new Option('--history-days <n>', 'simulated days before the day, so reports have previous periods to compare')
        .default(14)
        .argParser(wholeNumber('--history-days')),
    )
    .option('--no-declines', "do not simulate the demo's clients in decline (yellow, red, churn risk)")
    .option(
      '--keep-running',
      'leave the stand-ins up after the run so `--local` commands can query them (Ctrl-C stops them)',
    )
    .option('--state-file <path>', 'where --keep-running writes the endpoints', '.kpi-local.json')
    .option('-c, --config <path>', 'pipeline configuration file', 'config/pipeline.json')
    .action(async (opts: LocalCliOptions) => {
      const { runLocalCommand } = require('./local') as typeof import('./local');
      await runLocalCommand(opts, io);
    });

  withTarget(
    program
      .command('send')
      .description(
        'Send events (NDJSON, one CloudEvent a line) to the pipeline stream with PutRecords, retrying failed records.',
      )
      .argument('<file>', 'NDJSON file of events ("-" for stdin)'),
  )
    .addOption(
      new Option('--max-attempts <n>', 'attempts per record before giving up')
        .default(6)
        .argParser(positiveInt('--max-attempts')),
    )
    .option('--stream <name>', 'stream name (default: <name>-events of the configuration)')
    .action(async (file: string, opts: SendCliOptions) => {
      const { runSendCommand } = require('./send') as typeof import('./send');
      await runSendCommand(file, opts, io);
    });

  withTarget(
    program
      .command('export')
      .description('Export KPIs in the export format (tenant,kpi,granularity,bucket_start,value,count,p50,p95,p99).'),
  )
    .option('--tenant <id>', 'tenant id, or * for the fleet', '*')
    .requiredOption('--from <time>', 'start, ISO 8601 (e.g. 2026-11-22 or 2026-11-22T08:00:00Z), inclusive')
    .requiredOption('--to <time>', 'end, ISO 8601, exclusive')
    .addOption(new Option('--granularity <g>', 'bucket size').choices(['minute', 'hour', 'day']).default('hour'))
    .addOption(new Option('--format <f>', 'output format').choices(['csv', 'jsonl']).default('csv'))
    .option('--kpi <names...>', 'only these KPIs')
    .option('-o, --out <file>', 'write here instead of stdout')
    .option('--kpi-table <name>', 'KPI table name (default: <name>-kpis of the configuration)')
    .action(async (opts: ExportCliOptions) => {
      const { runExportCommand } = require('./export') as typeof import('./export');
      await runExportCommand(opts, io);
    });

  withTarget(
    program
      .command('snapshot')
      .description('Show the current KPIs (today so far, and the last hour) of a tenant or the fleet.'),
  )
    .option('--tenant <id>', 'tenant id, or * for the fleet', '*')
    .option('--at <time>', 'as of this instant (ISO 8601; default now)')
    .option('--kpi-table <name>', 'KPI table name (default: <name>-kpis of the configuration)')
    .action(async (opts: SnapshotCliOptions) => {
      const { runSnapshotCommand } = require('./snapshot') as typeof import('./snapshot');
      await runSnapshotCommand(opts, io);
    });

  withTarget(
    program
      .command('experiment <id>')
      .description(
        'Show an experiment: per KPI and variant, lift with 95% CI, p-value and verdict, and the SRM check.',
      ),
  )
    .option('--tenant <id>', 'the tenant the experiment runs in (checked against the configuration)')
    .option('--from <date>', 'first day (ISO 8601; default the experiment start)')
    .option('--to <date>', 'last day, inclusive (ISO 8601; default today or the experiment end)')
    .option('--format <format>', 'table, json or csv', 'table')
    .option('--kpi-table <name>', 'KPI table name (default: <name>-kpis of the configuration)')
    .action(async (id: string, opts) => {
      const { runExperimentCommand } = require('./experiment') as typeof import('./experiment');
      await runExperimentCommand(id, opts, io);
    });

  program
    .command('backtest')
    .description(
      'Replay recorded metrics against the configured alarms and print what would have fired, when, at which severity.',
    )
    .requiredOption('--metrics <file>', 'recorded metrics: CloudWatch EMF lines (NDJSON) as the aggregator logs them')
    .option('-c, --config <path>', 'pipeline configuration file', 'config/pipeline.json')
    .option('--json', 'print the transitions as JSON')
    .action(async (opts: BacktestCliOptions) => {
      const { runBacktestCommand } = require('./backtest') as typeof import('./backtest');
      await runBacktestCommand(opts, io);
    });

  withTarget(
    program
      .command('report')
      .description('Render a scheduled report for a day to an HTML file.')
      .addArgument(
        program
          .createArgument('<kind>', 'report kind')
          .choices(['system_health', 'business_performance', 'executive_summary', 'client_success']),
      ),
  )
    .requiredOption('--date <YYYY-MM-DD>', 'the last day the report covers (UTC)')
    .requiredOption('-o, --out <file>', 'HTML file to write')
    .option('--kpi-table <name>', 'KPI table name')
    .option('--incident-table <name>', 'incident table name')
    .action(async (kind: string, opts: ReportCliOptions) => {
      const { runReportCommand } = require('./report') as typeof import('./report');
      await runReportCommand(kind, opts, io);
    });

  withTarget(
    program
      .command('ack')
      .description('Acknowledge an incident: stops its escalation climb (as the link in a page does).')
      .argument('<incident>', 'incident id, as shown in the page or `kpi local` summary'),
  )
    .option('--by <name>', 'who acknowledges (recorded on the incident)', process.env.USER ?? 'cli')
    .option('--incident-table <name>', 'incident table name')
    .action(async (incident: string, opts: AckCliOptions) => {
      const { runAckCommand } = require('./ack') as typeof import('./ack');
      await runAckCommand(incident, opts, io);
    });

  return program;
}

/**
 * Runs the CLI and returns its exit code instead of exiting, so tests and the shim share it.
 * 0 ok, 1 runtime failure, 2 usage or configuration error.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    return exitCodeFor(err, io);
  }
}

function exitCodeFor(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // Commander already printed its message (help, version, or what was wrong).
    // `kpi` alone prints the help with a non-zero code: a script calling it that way is a usage error.
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof UsageError || err instanceof ConfigurationError) {
    io.err(`error: ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof InterruptedError) {
    io.err(`${err.message}\n`);
    return EXIT.interrupted;
  }
  if (err instanceof CommandFailedError) {
    io.err(`error: ${err.message}\n`);
    return EXIT.failure;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.err(`error: ${message}\n`);
  return EXIT.failure;
}
