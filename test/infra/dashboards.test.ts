/**
 * Dashboards stay deployable however large the catalog grows: CloudWatch rejects a dashboard
 * with more than 500 widgets, so big catalogs are split into numbered pages.
 */
import { CLOUDWATCH_MAX_WIDGETS, paginateWidgets } from '../../lib/constructs/dashboards';
import { dashboards, type SynthesizedApp, synthesize } from './synth';

describe('paginateWidgets', () => {
  it('splits in order into pages of at most the limit', () => {
    const pages = paginateWidgets(
      Array.from({ length: 1001 }, (_, i) => i),
      500,
    );
    expect(pages.map((p) => p.length)).toEqual([500, 500, 1]);
    expect(pages.flat()).toEqual(Array.from({ length: 1001 }, (_, i) => i));
  });

  it('keeps one (empty) page for no widgets and refuses a limit below 1', () => {
    expect(paginateWidgets([])).toEqual([[]]);
    expect(() => paginateWidgets([1], 0)).toThrow(RangeError);
  });
});

describe('a catalog with 600 custom KPIs', () => {
  const CUSTOM = 600;
  let s: SynthesizedApp;
  beforeAll(() => {
    s = synthesize(
      {
        name: 'big',
        tenants: [{ id: 'acme-voice', name: 'Acme *Voice* [beta]', tier: 'enterprise' }],
        customKpis: Array.from({ length: CUSTOM }, (_, i) => ({
          name: `custom_score_${i}`,
          eventType: 'custom.survey.answered',
          aggregation: 'mean' as const,
          field: 'score',
          unit: 'score' as const,
        })),
        // Only dashboard bodies differ from the validated default deployment; validation is most of the synth time.
      },
      { validate: false },
    );
  });

  it('splits the fleet overview into pages under the limit; the tenant dashboard draws only what can page', () => {
    const all = dashboards(s.pipeline);
    expect([...all.keys()].sort()).toEqual([
      'big-fleet-overview',
      'big-fleet-overview-2',
      'big-pipeline-health',
      'big-tenants',
    ]);
    // Custom KPIs without alarm rules are not per-tenant metrics, so not on the tenant dashboard.
    expect(JSON.stringify(all.get('big-tenants'))).not.toContain('CustomScore');
    for (const widgets of all.values()) expect(widgets.length).toBeLessThanOrEqual(CLOUDWATCH_MAX_WIDGETS);
    expect(all.get('big-fleet-overview')).toHaveLength(CLOUDWATCH_MAX_WIDGETS);
  });

  it('loses no custom KPI across the pages', () => {
    const fleet = [
      ...(dashboards(s.pipeline).get('big-fleet-overview') ?? []),
      ...(dashboards(s.pipeline).get('big-fleet-overview-2') ?? []),
    ];
    const metricNames = new Set(
      fleet
        .flatMap((w) => (w.properties.metrics ?? []).map((m) => m[1]))
        .filter((n) => String(n).startsWith('CustomScore')),
    );
    expect(metricNames.size).toBe(CUSTOM);
  });

  it('lists the tenant display name, as plain text, in the tenant picker', () => {
    const body = JSON.stringify(
      s.pipeline.findResources('AWS::CloudWatch::Dashboard', { Properties: { DashboardName: 'big-tenants' } }),
    );
    expect(body).toContain('\\"property\\":\\"Tenant\\"');
    expect(body).toContain('Acme *Voice* [beta] (acme-voice)');
  });
});
