/**
 * Ports of the per-tenant alarm evaluation: where alarm states are kept and where state changes go.
 * Pure: interfaces and errors only.
 */
import type { AlarmStateChangeEvent } from '../alarm-evaluator';
import type { TenantAlarmStates } from './evaluate';

/** A tenant's stored states with the version they were read at (for a conditional write). */
export interface VersionedTenantStates {
  readonly states: TenantAlarmStates;
  /** 0 when nothing is stored yet. */
  readonly version: number;
}

/** Where tenants' alarm states are kept between evaluations. */
export interface TenantAlarmStateStore {
  /** The stored states of the tenants (an empty state at version 0 for a tenant never stored). */
  getMany(tenants: readonly string[]): Promise<Map<string, VersionedTenantStates>>;
  /**
   * Replaces a tenant's states if they are still at `expectedVersion`.
   * @returns false when another evaluation wrote first (this one's result is dropped)
   */
  put(tenant: string, states: TenantAlarmStates, expectedVersion: number): Promise<boolean>;
}

/** Where alarm state changes go: the router's input, as CloudWatch's would. */
export interface AlarmEventSink {
  /** @throws TenantAlarmError when an event was not accepted (the evaluation of that tenant is retried) */
  send(events: readonly AlarmStateChangeEvent[]): Promise<void>;
}

/** A failure of the per-tenant alarm evaluation. */
export class TenantAlarmError extends Error {
  constructor(
    message: string,
    /** Whether a later evaluation can succeed. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'TenantAlarmError';
  }
}
