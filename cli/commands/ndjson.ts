/**
 * Reading NDJSON event files for `kpi send` and `kpi local --events`, as bytes: a line travels to
 * the stream exactly as it is in the file, so bytes that are not UTF-8 reach the aggregator and are
 * rejected there as `invalid_json` instead of being silently replaced by U+FFFD on the way.
 */
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors';

/** One non-blank line of an NDJSON file. */
export interface NdjsonLine {
  /** 1-based line number in the file, for messages. */
  readonly lineNumber: number;
  /** The line's bytes, without its line ending. */
  readonly bytes: Buffer;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}

/**
 * Splits NDJSON bytes into lines: `\n` or `\r\n` endings, blank lines skipped, a UTF-8 byte order
 * mark at the start skipped (editors on some systems write one; it is not part of the first event).
 */
export function splitNdjson(content: Buffer): NdjsonLine[] {
  const start = content.subarray(0, 3).equals(UTF8_BOM) ? 3 : 0;
  const lines: NdjsonLine[] = [];
  let lineNumber = 0;
  let from = start;
  while (from <= content.length) {
    let to = content.indexOf(0x0a, from);
    if (to < 0) to = content.length;
    lineNumber++;
    let end = to;
    if (end > from && content[end - 1] === 0x0d) end--;
    const bytes = content.subarray(from, end);
    if (!isBlank(bytes)) lines.push({ lineNumber, bytes });
    from = to + 1;
  }
  return lines;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

/**
 * Reads an NDJSON file (`-`: standard input) into its lines.
 * @throws UsageError naming the file and why it cannot be read (missing, a directory, no access)
 */
export async function readNdjsonFile(path: string, what = path): Promise<NdjsonLine[]> {
  if (path === '-') return splitNdjson(await readStdin());
  return splitNdjson(readFileOrExplain(path, what));
}

/** The bytes of `path`, or a {@link UsageError} that says why they cannot be read. */
export function readFileOrExplain(path: string, what = path): Buffer {
  try {
    if (statSync(path).isDirectory()) {
      throw new UsageError(`Cannot read ${what}: it is a directory. Pass an NDJSON file of events.`);
    }
    return readFileSync(path);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : (code ?? String(err));
    throw new UsageError(`Cannot read ${what}: ${why}. Pass an NDJSON file of events.`);
  }
}
