/**
 * An in-memory DynamoDB table behind a real `DynamoDBClient` that counts capacity the way
 * DynamoDB bills it, so the write-cost benchmark can drive the real KPI store and reader.
 *
 * The client's middleware answers the commands the KPI store and reader and the health store send
 * (GetItem, BatchGetItem, PutItem, UpdateItem with SET, TransactWriteItems of Puts, BatchWriteItem
 * of Puts, Query on `pk` with a `sk` range, attribute names written out or as `#pk`/`#sk`) without a
 * network; everything else throws, so a new call shows up at once.
 *
 * Capacity, per DynamoDB's documentation (Developer Guide, "Read/write capacity mode" and
 * "Item sizes and formats"):
 * - item size = for every attribute, the UTF-8 length of its name plus its value: strings in
 *   UTF-8 bytes, binary in bytes, numbers about 1 byte per two significant digits plus 1,
 *   booleans and null 1 byte, maps and lists 3 bytes plus 1 byte and the size of each element
 *   (map keys count like attribute names);
 * - a write costs 1 WRU per started KB of the item (an update: of the larger of the item before
 *   and after), twice that inside a transaction; a failed conditional write still costs the same;
 * - a strongly consistent read costs 1 RRU per started 4 KB of each item (missing items 1),
 *   eventually consistent half; a Query sums the sizes of the items it returns, then rounds up.
 */
import { type AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

/** Counted capacity and requests, by what was written. */
export interface CapacityCounters {
  wru: number;
  rru: number;
  /** Write requests (a transaction counts once) and items they wrote successfully. */
  writeRequests: number;
  itemsWritten: number;
  readRequests: number;
  conditionalFailures: number;
  /** Sum of item sizes and count, keyed by a label from `classify`. */
  sizes: Map<string, { bytes: number; count: number; wru: number }>;
}

const utf8 = new TextEncoder();

function numberSize(n: string): number {
  const digits = n
    .replace(/^[-+]?0*/, '')
    .replace('.', '')
    .replace(/0+$/, '').length;
  return Math.ceil(Math.max(digits, 1) / 2) + 1;
}

/** The size of one attribute value, in bytes. */
export function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return utf8.encode(v.S).length;
  if (v.N !== undefined) return numberSize(v.N);
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.M !== undefined) {
    let size = 3;
    for (const [k, e] of Object.entries(v.M)) size += utf8.encode(k).length + valueSize(e) + 1;
    return size;
  }
  if (v.L !== undefined) {
    let size = 3;
    for (const e of v.L) size += valueSize(e) + 1;
    return size;
  }
  if (v.SS !== undefined) return v.SS.reduce((s, e) => s + utf8.encode(e).length, 0);
  if (v.NS !== undefined) return v.NS.reduce((s, e) => s + numberSize(e), 0);
  if (v.BS !== undefined) return v.BS.reduce((s, e) => s + e.length, 0);
  throw new Error(`unsupported attribute value ${JSON.stringify(v)}`);
}

/** The size of an item, in bytes, by DynamoDB's rules. */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, v] of Object.entries(item)) size += utf8.encode(name).length + valueSize(v);
  return size;
}

class ConditionalCheckFailedException extends Error {
  override readonly name = 'ConditionalCheckFailedException';
}

class TransactionCanceledException extends Error {
  override readonly name = 'TransactionCanceledException';
  constructor(readonly CancellationReasons: Array<{ Code: string }>) {
    super('Transaction cancelled');
  }
}

interface ExpressionContext {
  readonly names?: Record<string, string>;
  readonly values?: Record<string, AttributeValue>;
}

function resolveName(token: string, ctx: ExpressionContext): string {
  return token.startsWith('#') ? (ctx.names?.[token] ?? token) : token;
}

function compare(a: AttributeValue | undefined, b: AttributeValue | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (a.N !== undefined && b.N !== undefined) return Number(a.N) - Number(b.N);
  if (a.S !== undefined && b.S !== undefined) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0;
  return undefined;
}

/**
 * Evaluates the condition forms the KPI store uses: clauses joined by OR, each
 * `attribute_not_exists(a)`, `attribute_exists(a)` or `a <op> :v` with op one of = < <= > >=.
 */
function condition(expr: string | undefined, item: Item | undefined, ctx: ExpressionContext): boolean {
  if (expr === undefined) return true;
  return expr.split(/\s+OR\s+/).some((clause) => {
    const c = clause.trim().replace(/^\((.*)\)$/, '$1');
    const fn = /^attribute_(not_)?exists\(([^)]+)\)$/.exec(c);
    if (fn !== null) {
      const exists = item?.[resolveName(fn[2]!.trim(), ctx)] !== undefined;
      return fn[1] === undefined ? exists : !exists;
    }
    const cmp = /^(\S+)\s*(<=|>=|<>|=|<|>)\s*(\S+)$/.exec(c);
    if (cmp === null) throw new Error(`unsupported condition "${clause}"`);
    const r = compare(item?.[resolveName(cmp[1]!, ctx)], ctx.values?.[cmp[3]!]);
    if (r === undefined) return false;
    switch (cmp[2]) {
      case '=':
        return r === 0;
      case '<>':
        return r !== 0;
      case '<':
        return r < 0;
      case '<=':
        return r <= 0;
      case '>':
        return r > 0;
      default:
        return r >= 0;
    }
  });
}

/** Applies `SET a = :v, b = :w` optionally followed by `ADD s :set` (string-set union). */
function applyUpdate(item: Item, expr: string, ctx: ExpressionContext): Item {
  const out = { ...item };
  const m = /^SET\s+(.*?)(?:\s+ADD\s+(\S+)\s+(\S+))?$/.exec(expr.trim());
  if (m === null) throw new Error(`unsupported update "${expr}"`);
  for (const part of m[1]!.split(',')) {
    const [lhs, rhs] = part.split('=').map((s) => s.trim()) as [string, string];
    const v = ctx.values?.[rhs];
    if (v === undefined) throw new Error(`update value ${rhs} missing`);
    out[resolveName(lhs, ctx)] = v;
  }
  if (m[2] !== undefined) {
    const name = resolveName(m[2], ctx);
    const add = ctx.values?.[m[3]!]?.SS ?? [];
    out[name] = { SS: [...new Set([...(out[name]?.SS ?? []), ...add])] };
  }
  return out;
}

/** The table plus its counters. */
export class CapacityCountingTable {
  readonly counters: CapacityCounters = {
    wru: 0,
    rru: 0,
    writeRequests: 0,
    itemsWritten: 0,
    readRequests: 0,
    conditionalFailures: 0,
    sizes: new Map(),
  };
  /** pk -> sk -> item */
  private readonly partitions = new Map<string, Map<string, Item>>();

  /** @param classify labels a written item for the size statistics (e.g. `tenant minute`) */
  constructor(private readonly classify: (item: Item) => string) {}

  /** A real DynamoDB client whose requests this table answers. */
  client(): DynamoDBClient {
    const client = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
    client.middlewareStack.add(
      (_next, context) => async (args) => {
        const input = (args as { input: Record<string, unknown> }).input;
        return { response: {}, output: { $metadata: {}, ...this.handle(context.commandName ?? '', input) } };
      },
      { step: 'initialize', name: 'capacityCountingTable', priority: 'high' },
    );
    return client;
  }

  /** Every stored item (for checks after a run). */
  items(): Item[] {
    return [...this.partitions.values()].flatMap((p) => [...p.values()]);
  }

  private get(key: Item): Item | undefined {
    return this.partitions.get(key.pk!.S!)?.get(key.sk!.S!);
  }

  private put(item: Item): void {
    const pk = item.pk!.S!;
    let p = this.partitions.get(pk);
    if (p === undefined) {
      p = new Map();
      this.partitions.set(pk, p);
    }
    p.set(item.sk!.S!, item);
  }

  private countWrite(item: Item, before: Item | undefined, factor: number): void {
    const size = Math.max(itemSize(item), before === undefined ? 0 : itemSize(before));
    const wru = Math.ceil(size / 1024) * factor;
    this.counters.wru += wru;
    const label = this.classify(item);
    const s = this.counters.sizes.get(label) ?? { bytes: 0, count: 0, wru: 0 };
    s.bytes += itemSize(item);
    s.count++;
    s.wru += wru;
    this.counters.sizes.set(label, s);
  }

  private readUnits(size: number, consistent: boolean): number {
    const units = Math.max(1, Math.ceil(size / 4096));
    return consistent ? units : units / 2;
  }

  private handle(command: string, input: Record<string, unknown>): Record<string, unknown> {
    switch (command) {
      case 'GetItemCommand': {
        const i = input as { Key: Item; ConsistentRead?: boolean };
        this.counters.readRequests++;
        const item = this.get(i.Key);
        this.counters.rru += this.readUnits(item === undefined ? 0 : itemSize(item), i.ConsistentRead === true);
        return { Item: item };
      }
      case 'BatchGetItemCommand': {
        const i = input as { RequestItems: Record<string, { Keys: Item[]; ConsistentRead?: boolean }> };
        this.counters.readRequests++;
        const responses: Record<string, Item[]> = {};
        for (const [table, req] of Object.entries(i.RequestItems)) {
          responses[table] = [];
          for (const key of req.Keys) {
            const item = this.get(key);
            this.counters.rru += this.readUnits(item === undefined ? 0 : itemSize(item), req.ConsistentRead === true);
            if (item !== undefined) responses[table]!.push(item);
          }
        }
        return { Responses: responses, UnprocessedKeys: {} };
      }
      case 'PutItemCommand': {
        const i = input as {
          Item: Item;
          ConditionExpression?: string;
          ExpressionAttributeNames?: Record<string, string>;
          ExpressionAttributeValues?: Record<string, AttributeValue>;
        };
        this.counters.writeRequests++;
        const before = this.get(i.Item);
        this.countWrite(i.Item, before, 1);
        const ctx = { names: i.ExpressionAttributeNames, values: i.ExpressionAttributeValues };
        if (!condition(i.ConditionExpression, before, ctx)) {
          this.counters.conditionalFailures++;
          throw new ConditionalCheckFailedException('The conditional request failed');
        }
        this.put(i.Item);
        this.counters.itemsWritten++;
        return {};
      }
      case 'UpdateItemCommand': {
        const i = input as {
          Key: Item;
          UpdateExpression: string;
          ConditionExpression?: string;
          ExpressionAttributeNames?: Record<string, string>;
          ExpressionAttributeValues?: Record<string, AttributeValue>;
        };
        this.counters.writeRequests++;
        const before = this.get(i.Key);
        const ctx = { names: i.ExpressionAttributeNames, values: i.ExpressionAttributeValues };
        const after = applyUpdate(before ?? { ...i.Key }, i.UpdateExpression, ctx);
        this.countWrite(after, before, 1);
        if (!condition(i.ConditionExpression, before, ctx)) {
          this.counters.conditionalFailures++;
          throw new ConditionalCheckFailedException('The conditional request failed');
        }
        this.put(after);
        this.counters.itemsWritten++;
        return {};
      }
      case 'DeleteItemCommand': {
        const i = input as { Key: Item };
        this.counters.writeRequests++;
        const before = this.get(i.Key);
        this.countWrite(before ?? i.Key, undefined, 1);
        this.partitions.get(i.Key.pk!.S!)?.delete(i.Key.sk!.S!);
        return {};
      }
      case 'TransactWriteItemsCommand': {
        const i = input as {
          TransactItems: Array<{
            Put?: {
              Item: Item;
              ConditionExpression?: string;
              ExpressionAttributeNames?: Record<string, string>;
              ExpressionAttributeValues?: Record<string, AttributeValue>;
            };
          }>;
        };
        this.counters.writeRequests++;
        const reasons = i.TransactItems.map((t) => {
          const p = t.Put;
          if (p === undefined) throw new Error('only Put is supported in transactions');
          const before = this.get(p.Item);
          this.countWrite(p.Item, before, 2);
          const ok = condition(p.ConditionExpression, before, {
            names: p.ExpressionAttributeNames,
            values: p.ExpressionAttributeValues,
          });
          return { Code: ok ? 'None' : 'ConditionalCheckFailed' };
        });
        if (reasons.some((r) => r.Code !== 'None')) {
          this.counters.conditionalFailures++;
          throw new TransactionCanceledException(reasons);
        }
        for (const t of i.TransactItems) this.put(t.Put!.Item);
        this.counters.itemsWritten += i.TransactItems.length;
        return {};
      }
      case 'BatchWriteItemCommand': {
        const i = input as { RequestItems: Record<string, Array<{ PutRequest?: { Item: Item } }>> };
        this.counters.writeRequests++;
        for (const requests of Object.values(i.RequestItems)) {
          for (const r of requests) {
            if (r.PutRequest === undefined) throw new Error('only PutRequest is supported in BatchWriteItem');
            this.countWrite(r.PutRequest.Item, this.get(r.PutRequest.Item), 1);
            this.put(r.PutRequest.Item);
            this.counters.itemsWritten++;
          }
        }
        return { UnprocessedItems: {} };
      }
      case 'QueryCommand': {
        const i = input as {
          KeyConditionExpression: string;
          ExpressionAttributeNames?: Record<string, string>;
          ExpressionAttributeValues: Record<string, AttributeValue>;
          ConsistentRead?: boolean;
          ExclusiveStartKey?: Item;
        };
        const names = i.ExpressionAttributeNames ?? {};
        const keyCondition = i.KeyConditionExpression.replace(/#\w+/g, (n) => names[n] ?? n);
        if (!/^pk = :pk AND sk BETWEEN :from AND :to$/.test(keyCondition)) {
          throw new Error(`unsupported key condition "${i.KeyConditionExpression}"`);
        }
        this.counters.readRequests++;
        const v = i.ExpressionAttributeValues;
        const from = v[':from']!.S!;
        const to = v[':to']!.S!;
        const start = i.ExclusiveStartKey?.sk?.S;
        const p = this.partitions.get(v[':pk']!.S!) ?? new Map<string, Item>();
        const items = [...p.entries()]
          .filter(([sk]) => sk >= from && sk <= to && (start === undefined || sk > start))
          .sort(([a], [b]) => (a < b ? -1 : 1));
        // A Query page holds at most 1 MB.
        const page: Item[] = [];
        let bytes = 0;
        for (const [, item] of items) {
          if (bytes >= 1_048_576) break;
          page.push(item);
          bytes += itemSize(item);
        }
        this.counters.rru += this.readUnits(bytes, i.ConsistentRead === true);
        const more = page.length < items.length;
        return {
          Items: page,
          Count: page.length,
          LastEvaluatedKey: more ? { pk: page[page.length - 1]!.pk!, sk: page[page.length - 1]!.sk! } : undefined,
        };
      }
      default:
        throw new Error(`the capacity-counting table does not answer ${command}`);
    }
  }
}
