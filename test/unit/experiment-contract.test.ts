/** The optional `experiment` and `variant` extension attributes of the event contract. */
import { KpiCatalog } from '../../lambdas/core/catalog';
import { decodeEvent } from '../../lambdas/core/events';
import { DEFAULT_EVENT_TIME_MS, encodeEvent, makeEvent } from '../support/events';

const ctx = { catalog: KpiCatalog.builtIn(), nowMs: DEFAULT_EVENT_TIME_MS };

function decode(extra: Record<string, unknown>) {
  return decodeEvent(encodeEvent({ ...makeEvent('agent.session.completed'), ...extra }), ctx);
}

describe('experiment attributes', () => {
  it('keeps both on the accepted event', () => {
    const r = decode({ experiment: 'prompt-v2', variant: 'treatment_b' });
    expect(r.ok && r.event).toMatchObject({ experiment: 'prompt-v2', variant: 'treatment_b', tenantid: 'acme' });
  });

  it('leaves events without them exactly as before (no extra keys)', () => {
    const r = decode({});
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(Object.keys(r.event).sort()).toEqual(['data', 'id', 'source', 'specversion', 'tenantid', 'time', 'type']);
    }
  });

  it.each([
    [{ experiment: 'prompt-v2' }, 'variant', 'is required when experiment is present'],
    [{ variant: 'control' }, 'experiment', 'is required when variant is present'],
    [{ experiment: 'Prompt V2', variant: 'a' }, 'experiment', 'must match ^[a-z0-9][a-z0-9_-]{0,62}$'],
    [{ experiment: 'x'.repeat(64), variant: 'a' }, 'experiment', 'must match'],
    [{ experiment: 'p', variant: 'a'.repeat(33) }, 'variant', 'must match ^[a-z0-9][a-z0-9_-]{0,31}$'],
    [{ experiment: 'p', variant: 7 }, 'variant', 'must match'],
    [{ experiment: '', variant: 'a' }, 'experiment', 'must match'],
  ])('rejects %j as schema, naming %s', (extra, field, rule) => {
    const r = decode(extra);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.rejection.reason).toBe('schema');
      expect(r.rejection.field).toBe(field);
      expect(r.rejection.rule).toContain(rule);
      expect(r.rejection.tenantId).toBe('acme');
    }
  });

  it('accepts the longest ids the patterns allow', () => {
    const r = decode({ experiment: `a${'-'.repeat(62)}`, variant: `b${'_'.repeat(31)}` });
    expect(r.ok).toBe(true);
  });
});
