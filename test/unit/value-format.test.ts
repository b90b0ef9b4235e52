import { formatKpiValue } from '../../cli/commands/format';
import { formatValue } from '../../lambdas/core/reports/format';

describe('one KPI value formatter', () => {
  it.each([
    [-500, 'usd', '-$500'],
    [1234.4, 'usd', '$1,234'],
    [0.9995, 'ratio', '99.95%'],
    [12_345, 'ms', '12.3 s'],
    [850.4, 'ms', '850 ms'],
    [42.25, 'nps', '42.3'],
    [4.5, 'score', '4.50'],
    [1234, 'count', '1,234'],
  ] as const)('writes %p %s as %p in reports and in the terminal', (value, unit, text) => {
    expect(formatValue(value, unit)).toBe(text);
    expect(formatKpiValue(value, unit)).toBe(text);
  });

  it('marks a missing value "no data" in reports and "-" in a terminal table cell', () => {
    expect(formatValue(null, 'usd')).toBe('no data');
    expect(formatKpiValue(undefined, 'usd')).toBe('-');
    expect(formatKpiValue(Number.NaN, 'ms')).toBe('-');
  });
});
