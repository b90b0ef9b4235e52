/**
 * Incidents and acknowledgement nonces in the DynamoDB incidents table (`pk`, `sk`, TTL `expiresAt`).
 *
 * Items:
 * - `pk = incident#<id>`, `sk = incident`: the incident as JSON in `doc`, with a `version` for
 *   optimistic locking (every update is conditional on the version it read).
 * - `pk = incidents-day#<yyyy-mm-dd>`, `sk = <openedAt, 13 digits>#<id>`: a per-day index item,
 *   written in the same transaction as the incident, so listing a time range is one Query per
 *   day plus a BatchGet, never a Scan.
 * - `pk = ack-nonce#<nonce>`, `sk = nonce`: a redeemed acknowledgement token (single use).
 * - `pk = incident-groups`, `sk = <group key>`: the group's pointer to its incident (`incidentId`),
 *   with `open = 1` until that incident resolves. Opening an incident writes the pointer in the
 *   same transaction, conditional on the pointer being absent or still naming the incident it
 *   replaces: of two alarm events of one group racing, exactly one opens an incident. One
 *   partition holds every group (tenants x ladders, a few thousand small items), so a fleet alarm
 *   finds the open tenant incidents it may join with one Query.
 * - `pk = incident-groups`, `sk = openings#<cross-scope key>`: the opening counter (`count`) of
 *   one ladder's groups across scopes (`*|technical`). Opening an incident under it moves it on in
 *   the same transaction, conditional on the value read before deciding to open: a fleet and a
 *   tenant alarm of one problem racing cannot open two incidents (no `open` attribute, so the
 *   group listing skips it; no TTL, one small item per ladder).
 *
 * This class only maps to SDK calls; the decisions live in lambdas/core/incidents.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AckNonceStore } from '../core/escalation/ack-token';
import { IncidentError, IncidentNotFoundError } from '../core/incidents/errors';
import type { GroupPointer, IncidentStore, OpeningGuard } from '../core/incidents/store';
import type { Incident } from '../core/incidents/types';

const DAY_MS = 86_400_000;
const MAX_UPDATE_ATTEMPTS = 8;

/** Options of {@link DynamoDbIncidentStore}. */
export interface DynamoDbIncidentStoreOptions {
  readonly tableName: string;
  /**
   * How long incidents are kept after they open (DynamoDB TTL).
   * @default 400 days, so a year of incidents is always there for reports
   */
  readonly retentionDays?: number;
}

/** Incident writes that kept conflicting with other writers; retry the event. */
export class IncidentWriteConflictError extends IncidentError {
  constructor(readonly incidentId: string) {
    super(`Incident ${incidentId} changed under ${MAX_UPDATE_ATTEMPTS} attempts in a row; the event will be retried.`);
    this.name = 'IncidentWriteConflictError';
  }
}

function pad(ms: number): string {
  return String(Math.max(0, Math.floor(ms))).padStart(13, '0');
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function incidentKey(id: string) {
  return { pk: { S: `incident#${id}` }, sk: { S: 'incident' } };
}

const GROUPS_PK = 'incident-groups';

function groupKeyItem(groupKey: string) {
  return { pk: { S: GROUPS_PK }, sk: { S: groupKey } };
}

/** The condition that the group's pointer is absent, or still names `replacing`. */
function pointerCondition(replacing: string | undefined) {
  return replacing === undefined
    ? { ConditionExpression: 'attribute_not_exists(pk)' }
    : { ConditionExpression: 'incidentId = :replacing', ExpressionAttributeValues: { ':replacing': { S: replacing } } };
}

function openingsItem(key: string) {
  return { pk: { S: GROUPS_PK }, sk: { S: `openings#${key}` } };
}

function conditionFailed(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (err instanceof TransactionCanceledException &&
      (err.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed'))
  );
}

/**
 * A transaction another transaction on one of its items got in the way of: nothing was written,
 * and the caller re-reads and decides again, as after a failed condition.
 */
function transactionConflict(err: unknown): boolean {
  return (
    err instanceof TransactionCanceledException &&
    (err.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict')
  );
}

/** The incident store on DynamoDB. */
export class DynamoDbIncidentStore implements IncidentStore {
  private readonly tableName: string;
  private readonly retentionMs: number;

  constructor(
    private readonly ddb: DynamoDBClient,
    options: DynamoDbIncidentStoreOptions,
  ) {
    this.tableName = options.tableName;
    this.retentionMs = (options.retentionDays ?? 400) * DAY_MS;
  }

  private expiresAt(incident: Incident): string {
    return String(Math.floor((incident.openedAt + this.retentionMs) / 1000));
  }

  /** {@inheritDoc IncidentStore.groupIncident} */
  async groupIncident(groupKey: string): Promise<string | undefined> {
    const out = await this.ddb.send(
      new GetItemCommand({ TableName: this.tableName, Key: groupKeyItem(groupKey), ConsistentRead: true }),
    );
    return out.Item?.incidentId?.S;
  }

  /** {@inheritDoc IncidentStore.listOpenGroups} */
  async listOpenGroups(): Promise<GroupPointer[]> {
    const groups: GroupPointer[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.ddb.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: '#open = :yes',
          ExpressionAttributeNames: { '#open': 'open' },
          ExpressionAttributeValues: { ':pk': { S: GROUPS_PK }, ':yes': { N: '1' } },
          ConsistentRead: true,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of out.Items ?? []) {
        const groupKey = item.sk?.S;
        const incidentId = item.incidentId?.S;
        if (groupKey !== undefined && incidentId !== undefined) groups.push({ groupKey, incidentId });
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return groups;
  }

  private pointerPut(groupKey: string, incidentId: string, replacing: string | undefined, expiresAt: string) {
    return {
      TableName: this.tableName,
      Item: {
        ...groupKeyItem(groupKey),
        incidentId: { S: incidentId },
        open: { N: '1' },
        expiresAt: { N: expiresAt },
      },
      ...pointerCondition(replacing),
    };
  }

  /** {@inheritDoc IncidentStore.openings} */
  async openings(key: string): Promise<number> {
    const out = await this.ddb.send(
      new GetItemCommand({ TableName: this.tableName, Key: openingsItem(key), ConsistentRead: true }),
    );
    return Number(out.Item?.count?.N ?? '0');
  }

  /** Moves the opening counter on from `guard.seen`, on condition it still reads that. */
  private openingsUpdate(guard: OpeningGuard): TransactWriteItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: openingsItem(guard.key),
        UpdateExpression: 'SET #count = :next',
        ConditionExpression: guard.seen === 0 ? 'attribute_not_exists(#count)' : '#count = :seen',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: {
          ':next': { N: String(guard.seen + 1) },
          ...(guard.seen === 0 ? {} : { ':seen': { N: String(guard.seen) } }),
        },
      },
    };
  }

  /** {@inheritDoc IncidentStore.openInGroup} */
  async openInGroup(groupKey: string, incident: Incident, replacing?: string, guard?: OpeningGuard): Promise<boolean> {
    const expiresAt = this.expiresAt(incident);
    try {
      await this.ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: this.pointerPut(groupKey, incident.id, replacing, expiresAt) },
            ...this.incidentPuts(incident),
            ...(guard === undefined ? [] : [this.openingsUpdate(guard)]),
          ],
        }),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err) || transactionConflict(err)) return false;
      throw err;
    }
  }

  /** {@inheritDoc IncidentStore.linkGroup} */
  async linkGroup(groupKey: string, incidentId: string, replacing?: string): Promise<boolean> {
    const current = await this.read(incidentId);
    if (current === undefined) throw new IncidentNotFoundError(incidentId);
    try {
      await this.ddb.send(
        new PutItemCommand(this.pointerPut(groupKey, incidentId, replacing, this.expiresAt(current.incident))),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }

  /** Marks the pointers of a resolved incident closed; best effort (a stale flag costs one read). */
  private async closePointers(incident: Incident): Promise<void> {
    const keys = new Set<string>();
    if (incident.groupKey !== undefined) keys.add(incident.groupKey);
    for (const key of keys) {
      try {
        await this.ddb.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: groupKeyItem(key),
            UpdateExpression: 'REMOVE #open',
            ConditionExpression: 'incidentId = :id',
            ExpressionAttributeNames: { '#open': 'open' },
            ExpressionAttributeValues: { ':id': { S: incident.id } },
          }),
        );
      } catch (err) {
        if (!conditionFailed(err)) throw err;
      }
    }
  }

  private incidentPuts(incident: Incident): TransactWriteItem[] {
    return [
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...incidentKey(incident.id),
            doc: { S: JSON.stringify(incident) },
            version: { N: '1' },
            expiresAt: { N: this.expiresAt(incident) },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: {
            pk: { S: `incidents-day#${dayOf(incident.openedAt)}` },
            sk: { S: `${pad(incident.openedAt)}#${incident.id}` },
            incidentId: { S: incident.id },
            expiresAt: { N: this.expiresAt(incident) },
          },
        },
      },
    ];
  }

  /** {@inheritDoc IncidentStore.create} */
  async create(incident: Incident): Promise<boolean> {
    try {
      await this.ddb.send(new TransactWriteItemsCommand({ TransactItems: this.incidentPuts(incident) }));
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }

  private async read(id: string): Promise<{ incident: Incident; version: number } | undefined> {
    const out = await this.ddb.send(
      new GetItemCommand({ TableName: this.tableName, Key: incidentKey(id), ConsistentRead: true }),
    );
    const doc = out.Item?.doc?.S;
    if (doc === undefined) return undefined;
    return { incident: JSON.parse(doc) as Incident, version: Number(out.Item?.version?.N ?? '1') };
  }

  /** {@inheritDoc IncidentStore.update} */
  async update(id: string, change: (incident: Incident) => Incident): Promise<Incident> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = await this.read(id);
      if (current === undefined) throw new IncidentNotFoundError(id);
      const next = change(current.incident);
      if (next === current.incident) return next;
      try {
        await this.ddb.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              ...incidentKey(id),
              doc: { S: JSON.stringify(next) },
              version: { N: String(current.version + 1) },
              expiresAt: { N: this.expiresAt(next) },
            },
            ConditionExpression: 'version = :v',
            ExpressionAttributeValues: { ':v': { N: String(current.version) } },
          }),
        );
        if (next.state === 'resolved' && current.incident.state !== 'resolved') await this.closePointers(next);
        return next;
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      }
    }
    throw new IncidentWriteConflictError(id);
  }

  /** {@inheritDoc IncidentReader.get} */
  async get(id: string): Promise<Incident | undefined> {
    return (await this.read(id))?.incident;
  }

  /** {@inheritDoc IncidentReader.listBetween} */
  async listBetween(fromMs: number, toMs: number): Promise<Incident[]> {
    if (toMs <= fromMs) return [];
    const ids: string[] = [];
    for (let day = Date.parse(dayOf(fromMs)); day < toMs; day += DAY_MS) {
      let startKey: Record<string, { S: string }> | undefined;
      do {
        const out = await this.ddb.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: {
              ':pk': { S: `incidents-day#${dayOf(day)}` },
              ':from': { S: pad(fromMs) },
              // `#` sorts before every id character, `~` after: [fromMs, toMs) exactly.
              ':to': { S: `${pad(toMs - 1)}#~` },
            },
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        );
        for (const item of out.Items ?? []) if (item.incidentId?.S !== undefined) ids.push(item.incidentId.S);
        startKey = out.LastEvaluatedKey as Record<string, { S: string }> | undefined;
      } while (startKey !== undefined);
    }
    const incidents: Incident[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      let keys = ids.slice(i, i + 100).map(incidentKey);
      while (keys.length > 0) {
        const out = await this.ddb.send(
          new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) {
          if (item.doc?.S !== undefined) incidents.push(JSON.parse(item.doc.S) as Incident);
        }
        keys = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as typeof keys;
      }
    }
    return incidents.sort((a, b) => a.openedAt - b.openedAt || (a.id < b.id ? -1 : 1));
  }
}

/** Redeemed acknowledgement nonces in the incidents table; the claim is a conditional put. */
export class DynamoDbAckNonceStore implements AckNonceStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** {@inheritDoc AckNonceStore.claim} */
  async claim(nonce: string, expiresAtMs: number): Promise<boolean> {
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: { S: `ack-nonce#${nonce}` },
            sk: { S: 'nonce' },
            // Kept a day past expiry: TTL deletion lags, and an expired token is refused anyway.
            expiresAt: { N: String(Math.floor(expiresAtMs / 1000) + 86_400) },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }
}
