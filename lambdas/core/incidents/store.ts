/**
 * The incident store port (DynamoDB in AWS, memory in unit tests and previews).
 */
import { IncidentNotFoundError } from './errors';
import type { Incident, IncidentReader } from './types';

/** A group's pointer: the incident its alerts join (open, or the last one, resolved). */
export interface GroupPointer {
  readonly groupKey: string;
  readonly incidentId: string;
}

/**
 * The opening counter an incident opens under: every incident opened under one cross-scope key
 * (`crossScopeKeyOf`: the fleet's and every tenant's group of one ladder) moves it on by one, on
 * condition that it still reads `seen`. A fleet alarm and a tenant alarm of one problem racing to
 * open an incident each: one wins, the other's write fails, and it re-reads and joins.
 */
export interface OpeningGuard {
  readonly key: string;
  /** The counter as read before deciding to open (0 when absent). */
  readonly seen: number;
}

/** Reads and writes incidents. Writes are conditional so concurrent Lambdas never lose an update. */
export interface IncidentStore extends IncidentReader {
  /** The incident a group points at, if any (it may be resolved). */
  groupIncident(groupKey: string): Promise<string | undefined>;
  /** Groups whose incident may still be open (a fleet alarm looks for a tenant incident to join). */
  listOpenGroups(): Promise<GroupPointer[]>;
  /**
   * Creates `incident` and points `groupKey` at it in one atomic write, provided the group points
   * at nothing or still at `replacing` (its closed incident). Two alarm events racing to open an
   * incident for one group: one wins, the other gets false and joins the winner's incident.
   * With a `guard`, the write also requires the opening counter to still read `guard.seen`, and
   * moves it on.
   * @returns false when the group's pointer or the opening counter changed meanwhile (or the
   * incident already exists)
   */
  openInGroup(groupKey: string, incident: Incident, replacing?: string, guard?: OpeningGuard): Promise<boolean>;
  /** The opening counter of a cross-scope key (0 when nothing opened under it yet); see {@link OpeningGuard}. */
  openings(key: string): Promise<number>;
  /**
   * Points `groupKey` at an existing incident (a fleet alarm joining a tenant's incident), provided
   * the group points at nothing or still at `replacing`.
   * @returns false when the group's pointer changed meanwhile
   */
  linkGroup(groupKey: string, incidentId: string, replacing?: string): Promise<boolean>;
  /**
   * Creates the incident unless one with its id exists.
   * @returns true when created, false when it already existed (a duplicate event)
   */
  create(incident: Incident): Promise<boolean>;
  /**
   * Reads, changes and writes back an incident, retrying when another writer got there first.
   * @throws IncidentNotFoundError when it does not exist
   */
  update(id: string, change: (incident: Incident) => Incident): Promise<Incident>;
}

/** An {@link IncidentStore} in memory. */
export class InMemoryIncidentStore implements IncidentStore {
  private readonly items = new Map<string, Incident>();
  private readonly groups = new Map<string, string>();
  private readonly openingCounts = new Map<string, number>();

  /** {@inheritDoc IncidentStore.groupIncident} */
  async groupIncident(groupKey: string): Promise<string | undefined> {
    return this.groups.get(groupKey);
  }

  /** {@inheritDoc IncidentStore.listOpenGroups} */
  async listOpenGroups(): Promise<GroupPointer[]> {
    return [...this.groups.entries()]
      .filter(([, id]) => this.items.get(id)?.state !== 'resolved')
      .map(([groupKey, incidentId]) => ({ groupKey, incidentId }));
  }

  /** {@inheritDoc IncidentStore.openings} */
  async openings(key: string): Promise<number> {
    return this.openingCounts.get(key) ?? 0;
  }

  /** {@inheritDoc IncidentStore.openInGroup} */
  async openInGroup(groupKey: string, incident: Incident, replacing?: string, guard?: OpeningGuard): Promise<boolean> {
    if (this.groups.get(groupKey) !== replacing || this.items.has(incident.id)) return false;
    if (guard !== undefined && (this.openingCounts.get(guard.key) ?? 0) !== guard.seen) return false;
    if (guard !== undefined) this.openingCounts.set(guard.key, guard.seen + 1);
    this.items.set(incident.id, incident);
    this.groups.set(groupKey, incident.id);
    return true;
  }

  /** {@inheritDoc IncidentStore.linkGroup} */
  async linkGroup(groupKey: string, incidentId: string, replacing?: string): Promise<boolean> {
    if (this.groups.get(groupKey) !== replacing) return false;
    this.groups.set(groupKey, incidentId);
    return true;
  }

  /** {@inheritDoc IncidentStore.create} */
  async create(incident: Incident): Promise<boolean> {
    if (this.items.has(incident.id)) return false;
    this.items.set(incident.id, incident);
    return true;
  }

  /** {@inheritDoc IncidentStore.update} */
  async update(id: string, change: (incident: Incident) => Incident): Promise<Incident> {
    const current = this.items.get(id);
    if (current === undefined) throw new IncidentNotFoundError(id);
    const next = change(current);
    this.items.set(id, next);
    return next;
  }

  /** {@inheritDoc IncidentReader.get} */
  async get(id: string): Promise<Incident | undefined> {
    return this.items.get(id);
  }

  /** {@inheritDoc IncidentReader.listBetween} */
  async listBetween(fromMs: number, toMs: number): Promise<Incident[]> {
    return [...this.items.values()]
      .filter((i) => i.openedAt >= fromMs && i.openedAt < toMs)
      .sort((a, b) => a.openedAt - b.openedAt);
  }
}
