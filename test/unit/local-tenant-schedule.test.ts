/** The local run's simulated schedule of the per-tenant alarm evaluator (cli/local/tenant-schedule.ts). */
import { tenantEvaluationMinutes } from '../../cli/local/tenant-schedule';

const MIN = 60_000;
const H = 60 * MIN;
const range = { fromMs: 0, toMs: 24 * H };
const hhmm = (ms: number) =>
  `${String(Math.floor(ms / H)).padStart(2, '0')}:${String((ms % H) / MIN).padStart(2, '0')}`;

describe('tenantEvaluationMinutes', () => {
  it('evaluates the minute after each minute with data, then every stride until the data has aged out', () => {
    const minutes = tenantEvaluationMinutes([10 * H, 10 * H + 5 * MIN], H, range, { strideMs: 30 * MIN });
    expect(minutes.map(hhmm)).toEqual(['10:01', '10:06', '10:30', '11:00', '11:06']);
  });

  it('never evaluates a tenant without data in its look-back', () => {
    expect(tenantEvaluationMinutes([], H, range)).toEqual([]);
    const minutes = tenantEvaluationMinutes([2 * H, 20 * H], H, range, { strideMs: H });
    expect(minutes.every((m) => (m > 2 * H && m <= 3 * H + MIN) || (m > 20 * H && m <= 21 * H + MIN))).toBe(true);
  });

  it('evaluates every minute of a focus window where data is in the look-back, and only the stride elsewhere', () => {
    const data = Array.from({ length: 24 * 60 }, (_, i) => i * MIN);
    const minutes = tenantEvaluationMinutes(data, 3 * H, range, {
      everyDataMinute: false,
      strideMs: 30 * MIN,
      focus: [{ fromMs: 10 * H, toMs: 10 * H + 10 * MIN }],
    });
    const inFocus = minutes.filter((m) => m >= 10 * H && m < 10 * H + 10 * MIN);
    expect(inFocus).toHaveLength(10);
    expect(minutes.filter((m) => m < 10 * H).every((m) => m % (30 * MIN) === 0)).toBe(true);
    expect(minutes.length).toBe(48 - 1 + 9);
  });

  it('stays within the range', () => {
    const minutes = tenantEvaluationMinutes([23 * H + 58 * MIN], H, range);
    expect(minutes.map(hhmm)).toEqual(['23:59']);
  });
});
