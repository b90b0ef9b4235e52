/**
 * Tenant isolation: nothing a tenant sends can land under another tenant's key, and the paths
 * that read data back (KPI items, reports, acknowledgements) only ever see the tenant asked for.
 */
import fc from 'fast-check';
import {
  FLEET_TENANT,
  InvalidKpiKeyError,
  isKpiTenant,
  kpiItemKey,
  kpiPartitionKey,
  parseKpiItemKey,
} from '../../lambdas/core/aggregation/keys';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { decodeEvent, TENANT_ID_PATTERN } from '../../lambdas/core/events';
import { GRANULARITIES } from '../../lambdas/core/time/buckets';
import { arbTenantId, DEFAULT_EVENT_TIME_MS, encodeEvent, makeEvent } from '../support/events';

/** Tenant ids an attacker would try: separators, wildcards, lookalikes, case, prototype names. */
const HOSTILE_TENANTS = [
  'a#b',
  'acme#minute',
  'acme#*',
  'a/b',
  '../globex',
  '*',
  '**',
  'acme*',
  'аcme', // Cyrillic "а"
  'acme\u200b', // zero-width space
  'ａｃｍｅ', // full-width
  'ACME',
  'Acme',
  '__proto__',
  'acme ',
  ' acme',
  'acme\n',
  'a',
  '-acme',
  'a'.repeat(64),
  '',
  'acme|globex',
  'acme%23b',
];

/**
 * Valid tenant ids that are also property names of every JavaScript object: code that keeps
 * per-tenant state in plain objects would mix them up with the prototype, so they must behave
 * like any other tenant.
 */
const PROTOTYPE_NAMED_TENANTS = ['constructor', 'prototype', 'tostring', 'valueof', 'hasownproperty'];

const catalog = KpiCatalog.builtIn();
const nowMs = DEFAULT_EVENT_TIME_MS + 60_000;

describe('tenant keys', () => {
  it('rejects hostile tenant ids at the decoder, without keying the rejection by them', () => {
    for (const tenant of HOSTILE_TENANTS) {
      const r = decodeEvent(encodeEvent(makeEvent('user.active', { tenantid: tenant })), { nowMs, catalog });
      expect({ tenant, ok: r.ok }).toEqual({ tenant, ok: false });
      if (!r.ok) {
        expect(r.rejection.reason).toBe('bad_tenant');
        expect(r.rejection.tenantId).toBeUndefined();
      }
    }
  });

  it('accepts tenant ids that happen to be prototype property names, as ordinary tenants', () => {
    for (const tenant of PROTOTYPE_NAMED_TENANTS) {
      const r = decodeEvent(encodeEvent(makeEvent('user.active', { tenantid: tenant })), { nowMs, catalog });
      expect(r.ok && r.event.tenantid).toBe(tenant);
      expect(parseKpiItemKey(kpiItemKey({ tenant, granularity: 'hour', bucketStartMs: 0 })).tenant).toBe(tenant);
    }
  });

  it('refuses to build a key for any hostile tenant id', () => {
    for (const tenant of HOSTILE_TENANTS.filter((t) => t !== FLEET_TENANT)) {
      for (const g of GRANULARITIES) {
        expect(() => kpiPartitionKey(tenant, g)).toThrow(InvalidKpiKeyError);
      }
    }
  });

  it('builds a key only for valid tenant ids or the fleet, and every key names exactly its tenant', () => {
    const anyTenant = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 70 }),
      fc.constantFrom(...HOSTILE_TENANTS),
      arbTenantId(),
      // Valid ids with one hostile character spliced in.
      fc
        .tuple(arbTenantId(), fc.nat(), fc.constantFrom('#', '*', '/', 'A', '\u0430', '\u200b', '|', ' ', '_'))
        .map(([t, at, ch]) => t.slice(0, at % (t.length + 1)) + ch + t.slice(at % (t.length + 1))),
    );
    fc.assert(
      fc.property(
        anyTenant,
        fc.constantFrom(...GRANULARITIES),
        fc.integer({ min: 0, max: 100_000 }),
        (tenant, g, n) => {
          const bucketStartMs = n * 86_400_000;
          let key: ReturnType<typeof kpiItemKey> | undefined;
          try {
            key = kpiItemKey({ tenant, granularity: g, bucketStartMs });
          } catch (err) {
            expect(err).toBeInstanceOf(InvalidKpiKeyError);
          }
          expect(key !== undefined).toBe(tenant === FLEET_TENANT || TENANT_ID_PATTERN.test(tenant));
          if (key !== undefined) {
            // The key reads back as the same tenant: it cannot be another tenant's key.
            expect(parseKpiItemKey(key)).toEqual({ tenant, granularity: g, bucketStartMs });
          }
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('gives two different tenants keys that never coincide, at any granularity', () => {
    const tenantOrFleet = fc.oneof(arbTenantId(), fc.constant(FLEET_TENANT));
    fc.assert(
      fc.property(
        tenantOrFleet,
        tenantOrFleet,
        fc.constantFrom(...GRANULARITIES),
        fc.constantFrom(...GRANULARITIES),
        (a, b, ga, gb) => {
          fc.pre(a !== b);
          const ka = kpiPartitionKey(a, ga);
          const kb = kpiPartitionKey(b, gb);
          expect(ka).not.toBe(kb);
          // No tenant's partition is a prefix-extension of another's (no range query can spill over).
          expect(ka.startsWith(`kpi#${b}#`)).toBe(false);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('never treats a forged key as belonging to a tenant', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 30 }), (pk, sk) => {
        let address: ReturnType<typeof parseKpiItemKey> | undefined;
        try {
          address = parseKpiItemKey({ pk, sk });
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidKpiKeyError);
        }
        if (address !== undefined) {
          expect(isKpiTenant(address.tenant)).toBe(true);
          expect(kpiItemKey(address)).toEqual({ pk, sk });
        }
      }),
      { numRuns: 20_000 },
    );
  });
});
