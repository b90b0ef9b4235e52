/**
 * The incident store port (DynamoDB in AWS, memory in unit tests and previews).
 */
import { IncidentNotFoundError } from './errors';
import type { Incident, IncidentReader } from './types';

/** Reads and writes incidents. Writes are conditional so concurrent Lambdas never lose an update. */
export interface IncidentStore extends IncidentReader {
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
