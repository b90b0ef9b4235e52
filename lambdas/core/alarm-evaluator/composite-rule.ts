/**
 * Composite alarm rules: `ALARM(x)`, `OK(x)`, `INSUFFICIENT_DATA(x)`, `TRUE`, `FALSE`, `AND`,
 * `OR`, `NOT` and parentheses, as PutCompositeAlarm documents them. `x` is an alarm name or ARN,
 * quoted or not; ARNs are reduced to the alarm name. `NOT` binds tightest, then `AND`, then `OR`.
 */
import { AlarmEvaluationError, type AlarmState } from './types';

/** A parsed rule. */
export type RuleNode =
  | { readonly kind: 'state'; readonly state: AlarmState; readonly alarm: string }
  | { readonly kind: 'const'; readonly value: boolean }
  | { readonly kind: 'not'; readonly arg: RuleNode }
  | { readonly kind: 'and' | 'or'; readonly args: readonly RuleNode[] };

/** The alarm name of an alarm ARN (`arn:...:alarm:NAME`), or the input when it is a name. */
export function alarmNameOf(ref: string): string {
  const i = ref.indexOf(':alarm:');
  return ref.startsWith('arn:') && i >= 0 ? ref.slice(i + ':alarm:'.length) : ref;
}

type Tok = { t: 'word'; v: string } | { t: 'str'; v: string } | { t: 'lp' } | { t: 'rp' };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) i++;
    else if (ch === '(') {
      out.push({ t: 'lp' });
      i++;
    } else if (ch === ')') {
      out.push({ t: 'rp' });
      i++;
    } else if (ch === '"') {
      const end = src.indexOf('"', i + 1);
      if (end < 0) throw new AlarmEvaluationError(`Alarm rule "${src}": unterminated quote at ${i}`);
      out.push({ t: 'str', v: src.slice(i + 1, end) });
      i = end + 1;
    } else {
      let j = i;
      while (j < src.length && !/[\s()"]/.test(src[j]!)) j++;
      out.push({ t: 'word', v: src.slice(i, j) });
      i = j;
    }
  }
  return out;
}

const STATE_FNS: Record<string, AlarmState> = { ALARM: 'ALARM', OK: 'OK', INSUFFICIENT_DATA: 'INSUFFICIENT_DATA' };

/**
 * Parses a composite alarm rule.
 * @throws AlarmEvaluationError naming the position of a syntax error
 */
export function parseAlarmRule(src: string): RuleNode {
  const toks = tokenize(src);
  let pos = 0;
  const word = (v: string) => {
    const t = toks[pos];
    return t !== undefined && t.t === 'word' && t.v.toUpperCase() === v;
  };
  const fail = (what: string): never => {
    throw new AlarmEvaluationError(`Alarm rule "${src}": ${what} at token ${pos + 1}`);
  };
  const orExpr = (): RuleNode => {
    const args = [andExpr()];
    while (word('OR')) {
      pos++;
      args.push(andExpr());
    }
    return args.length === 1 ? args[0]! : { kind: 'or', args };
  };
  const andExpr = (): RuleNode => {
    const args = [notExpr()];
    while (word('AND')) {
      pos++;
      args.push(notExpr());
    }
    return args.length === 1 ? args[0]! : { kind: 'and', args };
  };
  const notExpr = (): RuleNode => {
    if (word('NOT')) {
      pos++;
      return { kind: 'not', arg: notExpr() };
    }
    return atom();
  };
  const atom = (): RuleNode => {
    const t = toks[pos];
    if (t === undefined) return fail('unexpected end');
    if (t.t === 'lp') {
      pos++;
      const e = orExpr();
      if (toks[pos]?.t !== 'rp') fail('expected ")"');
      pos++;
      return e;
    }
    if (t.t !== 'word') return fail('expected ALARM(...), OK(...), INSUFFICIENT_DATA(...), TRUE or FALSE');
    const upper = t.v.toUpperCase();
    pos++;
    if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'const', value: upper === 'TRUE' };
    const state = STATE_FNS[upper];
    if (state === undefined) return fail(`unknown function "${t.v}"`);
    if (toks[pos]?.t !== 'lp') fail(`expected "(" after ${upper}`);
    pos++;
    const ref = toks[pos];
    if (ref === undefined || ref.t === 'lp' || ref.t === 'rp') return fail('expected an alarm name or ARN');
    pos++;
    if (toks[pos]?.t !== 'rp') fail('expected ")"');
    pos++;
    return { kind: 'state', state, alarm: alarmNameOf(ref.v) };
  };
  const root = orExpr();
  if (pos !== toks.length) fail('trailing input');
  return root;
}

/** Alarm names a rule reads. */
export function ruleAlarms(node: RuleNode): string[] {
  switch (node.kind) {
    case 'state':
      return [node.alarm];
    case 'const':
      return [];
    case 'not':
      return ruleAlarms(node.arg);
    default:
      return node.args.flatMap(ruleAlarms);
  }
}

/** Evaluates a rule against the current states of the alarms it names. */
export function evaluateAlarmRule(node: RuleNode, stateOf: (alarm: string) => AlarmState): boolean {
  switch (node.kind) {
    case 'state':
      return stateOf(node.alarm) === node.state;
    case 'const':
      return node.value;
    case 'not':
      return !evaluateAlarmRule(node.arg, stateOf);
    case 'and':
      return node.args.every((a) => evaluateAlarmRule(a, stateOf));
    case 'or':
      return node.args.some((a) => evaluateAlarmRule(a, stateOf));
  }
}
