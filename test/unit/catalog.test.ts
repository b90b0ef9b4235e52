import { catalogMarkdownTable, InvalidCustomKpiError, KpiCatalog, UnknownKpiError } from '../../lambdas/core/catalog';
import { EVENT_TYPES } from '../../lambdas/core/events/contract';

const catalog = KpiCatalog.builtIn();

describe('KpiCatalog: built-in KPIs', () => {
  it('has every KPI the event contract names, fed by the right event type', () => {
    const expected: Record<string, string[]> = {
      'agent.session.completed': ['sessions', 'handle_time', 'fcr_rate', 'resolution_rate', 'escalation_rate'],
      'agent.turn.completed': [
        'turns',
        'response_latency',
        'stt_latency',
        'llm_latency',
        'tts_latency',
        'turn_error_rate',
        'cache_hit_rate',
      ],
      'voice.synthesis.completed': [
        'syntheses',
        'synthesis_latency',
        'synthesis_success_rate',
        'synthesis_cache_hit_rate',
        'synthesis_quality',
        'synthesis_under_1s_share',
        'synthesis_over_2s_share',
      ],
      'api.request.completed': ['api_requests', 'api_latency', 'api_error_rate'],
      'healthcheck.completed': ['availability'],
      'feedback.submitted': ['csat', 'nps'],
      'escalation.reviewed': ['escalation_precision', 'escalation_recall', 'escalation_accuracy'],
      'user.active': ['active_users', 'feature_adoption'],
      'sales.stage.changed': [
        'funnel_lead',
        'funnel_contacted',
        'funnel_qualified',
        'funnel_proposal',
        'funnel_won',
        'funnel_lost',
        'conversion_lead_to_contacted',
        'conversion_contacted_to_qualified',
        'conversion_qualified_to_proposal',
        'conversion_proposal_to_won',
        'won_value_usd',
      ],
      'revenue.recorded': [
        'mrr_new_usd',
        'mrr_expansion_usd',
        'mrr_contraction_usd',
        'mrr_churn_usd',
        'net_new_mrr_usd',
      ],
      'support.ticket.updated': ['tickets_opened', 'tickets_resolved', 'ticket_resolution_time'],
    };
    for (const type of EVENT_TYPES) {
      expect(catalog.forEventType(type).map((d) => d.name)).toEqual(expected[type]);
    }
    expect(catalog.require('rejected_events').eventType).toBe('pipeline.rejection');
    const names = catalog.all().map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives every KPI a description, unit, dashboard section and report section', () => {
    for (const d of catalog.all()) {
      expect(d.description.length).toBeGreaterThan(5);
      expect(d.dashboard?.section).toBeTruthy();
      expect(d.report?.section).toBeTruthy();
      expect(d.custom).toBe(false);
      if (d.aggregation === 'rate') expect(d.unit).toBe('ratio');
    }
  });

  it('carries the default alarm rules of the operations spec', () => {
    const rules = new Map(catalog.all().flatMap((d) => d.defaultAlarms.map((r) => [r.id, { ...r, kpi: d.name }])));
    const t = (id: string) => {
      const r = rules.get(id);
      if (r === undefined) throw new Error(`missing rule ${id}`);
      return [r.kpi, r.severity, r.statistic, r.comparison, r.threshold, r.ladder];
    };
    expect(t('availability-p1')).toEqual(['availability', 'P1', 'Average', 'LessThanThreshold', 0.99, 'technical']);
    expect(t('availability-p2')).toEqual(['availability', 'P2', 'Average', 'LessThanThreshold', 0.995, 'technical']);
    expect(rules.get('availability-anomaly')).toMatchObject({ severity: 'P4', kind: 'anomaly' });
    expect(t('response_latency-p1')).toEqual([
      'response_latency',
      'P1',
      'p95',
      'GreaterThanThreshold',
      5000,
      'technical',
    ]);
    expect(t('response_latency-p2')).toEqual([
      'response_latency',
      'P2',
      'p95',
      'GreaterThanThreshold',
      3000,
      'technical',
    ]);
    expect(rules.get('response_latency-anomaly')).toMatchObject({ severity: 'P3', kind: 'anomaly' });
    expect(t('api_error_rate-p1')).toEqual([
      'api_error_rate',
      'P1',
      'Average',
      'GreaterThanThreshold',
      0.01,
      'technical',
    ]);
    expect(t('api_error_rate-p2')).toEqual([
      'api_error_rate',
      'P2',
      'Average',
      'GreaterThanThreshold',
      0.005,
      'technical',
    ]);
    expect(t('api_latency-p2')).toEqual(['api_latency', 'P2', 'p95', 'GreaterThanThreshold', 500, 'technical']);
    expect(t('synthesis_over_2s_share-p2')).toEqual([
      'synthesis_over_2s_share',
      'P2',
      'Average',
      'GreaterThanThreshold',
      0.01,
      'technical',
    ]);
    expect(t('synthesis_success_rate-p2')).toEqual([
      'synthesis_success_rate',
      'P2',
      'Average',
      'LessThanThreshold',
      0.995,
      'technical',
    ]);
    expect(t('cache_hit_rate-p3')).toEqual(['cache_hit_rate', 'P3', 'Average', 'LessThanThreshold', 0.4, 'technical']);
    expect(t('escalation_rate-p3')).toEqual([
      'escalation_rate',
      'P3',
      'Average',
      'GreaterThanThreshold',
      0.5,
      'technical',
    ]);
    expect(t('escalation_accuracy-p2')).toEqual([
      'escalation_accuracy',
      'P2',
      'Average',
      'LessThanThreshold',
      0.95,
      'technical',
    ]);
    expect(t('resolution_rate-p3')).toEqual([
      'resolution_rate',
      'P3',
      'Average',
      'LessThanThreshold',
      0.7,
      'technical',
    ]);
    expect(t('csat-p2')).toEqual(['csat', 'P2', 'Average', 'LessThanThreshold', 3.5, 'business']);
    expect(rules.size).toBe(16);
    for (const r of rules.values()) {
      expect(r.datapointsToAlarm).toBeLessThanOrEqual(r.evaluationPeriods);
      // Every alarmed KPI is published, or there would be nothing to alarm on.
      expect(catalog.require(r.kpi).metric).toBeDefined();
    }
  });

  it('knows built-in types only, and fails loudly on unknown KPI names', () => {
    expect(catalog.isKnownEventType('user.active')).toBe(true);
    expect(catalog.isKnownEventType('custom.anything')).toBe(false);
    expect(catalog.isKnownEventType('pipeline.rejection')).toBe(false);
    expect(catalog.forEventType('nope')).toEqual([]);
    expect(catalog.get('nope')).toBeUndefined();
    expect(() => catalog.require('nope')).toThrow(UnknownKpiError);
  });
});

describe('KpiCatalog: custom KPIs', () => {
  it('adds declared KPIs and accepts their event types', () => {
    const c = KpiCatalog.create([
      { name: 'bookings', eventType: 'custom.booking.made', aggregation: 'count', description: 'Table bookings.' },
      {
        name: 'booking_wait',
        eventType: 'custom.booking.made',
        aggregation: 'quantiles',
        field: 'waitMs',
        direction: 'lower_is_better',
      },
    ]);
    expect(c.isKnownEventType('custom.booking.made')).toBe(true);
    expect(c.forEventType('custom.booking.made').map((d) => d.name)).toEqual(['bookings', 'booking_wait']);
    expect(c.require('booking_wait')).toMatchObject({
      custom: true,
      unit: 'ms',
      aggregation: 'quantiles',
      direction: 'lower_is_better',
      metric: { name: 'BookingWait' },
    });
    expect(c.require('bookings').description).toBe('Table bookings.');
    expect(c.customFieldKinds('custom.booking.made').get('waitMs')).toBe('non_negative_number');
    expect(c.all()).toHaveLength(catalog.all().length + 2);
  });

  it.each([
    [{ name: 'Bad Name', eventType: 'custom.x', aggregation: 'count' }, 'customKpis[0].name', 'snake_case'],
    [
      { name: 'sessions', eventType: 'custom.x', aggregation: 'count' },
      'customKpis[0].name',
      'duplicates the KPI "sessions"',
    ],
    [
      { name: 'my_kpi', eventType: 'agent.session.completed', aggregation: 'count' },
      'customKpis[0].eventType',
      'must start with "custom."',
    ],
    [{ name: 'my_kpi', eventType: 'custom.x', aggregation: 'median' }, 'customKpis[0].aggregation', 'must be one of'],
    [{ name: 'my_kpi', eventType: 'custom.x', aggregation: 'sum' }, 'customKpis[0].field', 'must be a data field name'],
    [
      { name: 'my_kpi', eventType: 'custom.x', aggregation: 'sum', field: '__proto__' },
      'customKpis[0].field',
      'must be a data field name',
    ],
    [
      { name: 'my_kpi', eventType: 'custom.x', aggregation: 'count', field: 'x' },
      'customKpis[0].field',
      'must be omitted',
    ],
    [
      { name: 'my_kpi', eventType: 'custom.x', aggregation: 'count', where: { field: 'a.b', equals: 1 } },
      'customKpis[0].where.field',
      'must be a data field name',
    ],
    [
      { name: 'my_kpi', eventType: 'custom.x', aggregation: 'count', where: { field: 'a', equals: Number.NaN } },
      'customKpis[0].where.equals',
      'finite',
    ],
    [
      { name: 'my_kpi', eventType: 'custom.x', aggregation: 'count', unit: 'parsecs' },
      'customKpis[0].unit',
      'must be one of',
    ],
  ])('rejects %j naming %s', (spec, field, rule) => {
    let error: unknown;
    try {
      KpiCatalog.create([spec as never]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidCustomKpiError);
    expect((error as InvalidCustomKpiError).field).toBe(field);
    expect((error as InvalidCustomKpiError).rule).toContain(rule);
    expect((error as Error).message).toContain(field);
  });

  it('rejects one field measured as two types on the same event type', () => {
    expect(() =>
      KpiCatalog.create([
        { name: 'a_sum', eventType: 'custom.x', aggregation: 'sum', field: 'v' },
        { name: 'a_rate', eventType: 'custom.x', aggregation: 'rate', field: 'v' },
      ]),
    ).toThrow(/customKpis\[1\]\.field is measured as boolean here but as number/);
  });
});

describe('catalogMarkdownTable', () => {
  it('has one row per KPI with its alarms', () => {
    const table = catalogMarkdownTable(catalog);
    const rows = table.trimEnd().split('\n');
    expect(rows).toHaveLength(catalog.all().length + 2);
    expect(rows.find((r) => r.startsWith('| `response_latency` |'))).toContain(
      'P1 p95 > 5000; P2 p95 > 3000; P3 anomaly band',
    );
    expect(rows.find((r) => r.startsWith('| `availability` |'))).toContain('P1 < 0.99');
  });
});
