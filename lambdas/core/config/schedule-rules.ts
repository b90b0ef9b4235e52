/**
 * Checks of the schedule settings that CloudFormation would otherwise only reject during a deploy:
 * IANA time zone names and EventBridge Scheduler cron expressions, field by field.
 *
 * Pure: the IANA list is the runtime's (`Intl.supportedValuesOf('timeZone')`, the CLDR/ICU list
 * Node ships), read once.
 */

let zones: ReadonlySet<string> | undefined;

/** Whether `name` is an IANA time zone name (canonical, as Intl lists them, or `UTC`). */
export function isIanaTimeZone(name: string): boolean {
  if (zones === undefined) {
    // `UTC` is canonical in the IANA database but some ICU builds list only `Etc/UTC`.
    zones = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC']);
  }
  return zones.has(name);
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names standing for numbers, from `min` (JAN = 1, SUN = 1). */
  readonly names?: readonly string[];
  /** `?` allowed (day-of-month, day-of-week). */
  readonly question?: boolean;
}

const FIELDS: readonly FieldRule[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, question: true },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, question: true },
  { name: 'year', min: 1970, max: 2199 },
];

function fieldValue(text: string, rule: FieldRule): number | undefined {
  const named = rule.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return rule.min + named;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= rule.min && n <= rule.max ? n : undefined;
}

function itemProblem(item: string, rule: FieldRule): string | undefined {
  const range = `${rule.min}-${rule.max}${rule.names ? ` or ${rule.names[0]}-${rule.names[rule.names.length - 1]}` : ''}`;
  if (item === '*') return undefined;
  // Day-of-month: L (last day), nW (nearest weekday), LW; day-of-week: nL (last weekday n), n#k.
  if (rule.name === 'day-of-month' && (item === 'L' || item === 'LW' || /^([1-9]|[12]\d|3[01])W$/.test(item))) {
    return undefined;
  }
  if (rule.name === 'day-of-week') {
    if (item === 'L') return undefined;
    const last = /^(.+)L$/.exec(item);
    if (last !== null && fieldValue(last[1]!, rule) !== undefined) return undefined;
    const nth = /^(.+)#([1-5])$/.exec(item);
    if (nth !== null && fieldValue(nth[1]!, rule) !== undefined) return undefined;
  }
  const [base, step, extra] = item.split('/');
  if (extra !== undefined) return `"${item}" has more than one "/"`;
  if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1)) {
    return `"${item}": the step after "/" must be a whole number >= 1`;
  }
  if (base === '*' && step !== undefined) return undefined;
  const [from, to, more] = (base ?? '').split('-');
  if (more !== undefined) return `"${item}" is not a value or a range a-b`;
  if (from === undefined || fieldValue(from, rule) === undefined) return `"${item}": values must be ${range}`;
  if (to !== undefined && fieldValue(to, rule) === undefined) return `"${item}": values must be ${range}`;
  return undefined;
}

/**
 * What is wrong with an EventBridge Scheduler cron expression, naming the field and the rule, or
 * undefined when it is valid: `cron(minutes hours day-of-month month day-of-week year)`, one of
 * day-of-month and day-of-week must be `?`.
 */
export function cronProblem(expression: string): string | undefined {
  const m = /^cron\((.*)\)$/.exec(expression.trim());
  if (m === null) return 'must be an EventBridge cron expression such as cron(0 8 * * ? *)';
  const parts = m[1]!.trim().split(/\s+/);
  if (parts.length !== 6) {
    return `must have 6 fields (minutes hours day-of-month month day-of-week year), found ${parts.length}: e.g. cron(0 8 * * ? *)`;
  }
  for (let i = 0; i < FIELDS.length; i++) {
    const rule = FIELDS[i]!;
    const field = parts[i]!;
    if (field === '?') {
      if (!rule.question) return `${rule.name} field "?" is only allowed in day-of-month and day-of-week`;
      continue;
    }
    for (const item of field.split(',')) {
      const problem = itemProblem(item, rule);
      if (problem !== undefined) return `${rule.name} field ${problem}`;
    }
  }
  if ((parts[2] === '?') === (parts[4] === '?')) {
    return 'exactly one of day-of-month (3rd field) and day-of-week (5th field) must be "?"';
  }
  return undefined;
}
