/**
 * Generated configurations of a given size, for the scale tests, `npm run bench -- synth` and
 * `npm run lint:templates`: `tenants` tenants, one in three on the enterprise tier (per-tenant
 * alarms and dashboard), the rest standard; the shipped defaults otherwise, with example
 * addresses allowed (nothing is deployed).
 */
import type { PipelineConfigInput } from '../../lambdas/core/config/schema';

/** A configuration with `tenants` tenants. */
export function tenantFleetConfig(tenants: number, overrides: PipelineConfigInput = {}): PipelineConfigInput {
  return {
    name: 'agent-kpi',
    tiers: {
      standard: { perTenantAlarms: false, perTenantDashboard: false, licensedSeats: 25 },
      enterprise: { perTenantAlarms: true, perTenantDashboard: true, licensedSeats: 200 },
    },
    tenants: Array.from({ length: tenants }, (_, i) => ({
      id: `tenant-${String(i + 1).padStart(4, '0')}`,
      name: `Tenant ${i + 1}`,
      tier: i % 3 === 0 ? 'enterprise' : 'standard',
    })),
    deployment: { allowExampleAddresses: true },
    ...overrides,
  };
}
