/**
 * The subset of CloudWatch metric math the project's alarms use, evaluated one datapoint at a
 * time: numbers, metric ids, `+ - * /`, unary minus, parentheses, comparisons `> >= < <=` (1 or
 * 0, as in CloudWatch), `IF(condition, then, else)`, `FILL(x, value)`, `ABS(x)`, and
 * `ANOMALY_DETECTION_BAND(id, stdDevs)` (as the root of a band query; see `anomaly.ts`).
 * As in CloudWatch, a datapoint missing in any operand is missing in the result, and a result
 * that is not a finite number (division by zero) is dropped rather than reported as a value.
 */
import { AlarmEvaluationError } from './types';

/** A parsed expression. */
export type MathNode =
  | { readonly kind: 'num'; readonly value: number }
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'neg'; readonly arg: MathNode }
  | {
      readonly kind: 'bin';
      readonly op: '+' | '-' | '*' | '/' | '>' | '>=' | '<' | '<=';
      readonly left: MathNode;
      readonly right: MathNode;
    }
  | { readonly kind: 'call'; readonly fn: string; readonly args: readonly MathNode[] };

const SUPPORTED = new Set(['FILL', 'ABS', 'IF', 'ANOMALY_DETECTION_BAND']);

type Token = { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'op'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (/[0-9.]/.test(ch)) {
      const m = /^\d*\.?\d+(?:[eE][-+]?\d+)?/.exec(src.slice(i));
      if (m === null) throw new AlarmEvaluationError(`Metric math "${src}": bad number at ${i}`);
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else if ((ch === '>' || ch === '<') && src[i + 1] === '=') {
      out.push({ t: 'op', v: `${ch}=` });
      i += 2;
    } else if ('+-*/(),<>'.includes(ch)) {
      out.push({ t: 'op', v: ch });
      i++;
    } else {
      throw new AlarmEvaluationError(`Metric math "${src}": unexpected "${ch}" at ${i}`);
    }
  }
  return out;
}

/**
 * The upper-case name of a metric math function this evaluator implements.
 * @throws AlarmEvaluationError naming the function and the supported ones
 */
function supportedFunction(src: string, name: string): string {
  const fn = name.toUpperCase();
  if (!SUPPORTED.has(fn)) {
    throw new AlarmEvaluationError(
      `Metric math "${src}": function ${name} is not supported by the local evaluator (supported: ${[...SUPPORTED].join(', ')})`,
    );
  }
  return fn;
}

/**
 * Parses a metric math expression.
 * @throws AlarmEvaluationError for syntax this evaluator does not support, naming the function
 */
export function parseMath(src: string): MathNode {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isOp = (v: string) => {
    const t = peek();
    return t !== undefined && t.t === 'op' && t.v === v;
  };
  const expect = (v: string) => {
    if (!isOp(v)) throw new AlarmEvaluationError(`Metric math "${src}": expected "${v}"`);
    pos++;
  };
  const expr = (): MathNode => {
    const left = sum();
    for (const op of ['>=', '<=', '>', '<'] as const) {
      if (isOp(op)) {
        pos++;
        return { kind: 'bin', op, left, right: sum() };
      }
    }
    return left;
  };
  const sum = (): MathNode => {
    let left = term();
    while (isOp('+') || isOp('-')) {
      const op = (tokens[pos++] as { v: '+' | '-' }).v;
      left = { kind: 'bin', op, left, right: term() };
    }
    return left;
  };
  const term = (): MathNode => {
    let left = unary();
    while (isOp('*') || isOp('/')) {
      const op = (tokens[pos++] as { v: '*' | '/' }).v;
      left = { kind: 'bin', op, left, right: unary() };
    }
    return left;
  };
  const unary = (): MathNode => {
    if (isOp('-')) {
      pos++;
      return { kind: 'neg', arg: unary() };
    }
    return primary();
  };
  const primary = (): MathNode => {
    const t = peek();
    if (t === undefined) throw new AlarmEvaluationError(`Metric math "${src}": unexpected end`);
    pos++;
    if (t.t === 'num') return { kind: 'num', value: t.v };
    if (t.t === 'op' && t.v === '(') {
      const e = expr();
      expect(')');
      return e;
    }
    if (t.t === 'id') {
      if (!isOp('(')) return { kind: 'id', id: t.v };
      const fn = supportedFunction(src, t.v);
      pos++;
      const args: MathNode[] = [];
      if (!isOp(')')) {
        args.push(expr());
        while (isOp(',')) {
          pos++;
          args.push(expr());
        }
      }
      expect(')');
      return { kind: 'call', fn, args };
    }
    throw new AlarmEvaluationError(`Metric math "${src}": unexpected "${t.v}"`);
  };
  const root = expr();
  if (pos !== tokens.length) throw new AlarmEvaluationError(`Metric math "${src}": trailing input`);
  return root;
}

/** Metric ids an expression reads. */
export function referencedIds(node: MathNode): string[] {
  switch (node.kind) {
    case 'num':
      return [];
    case 'id':
      return [node.id];
    case 'neg':
      return referencedIds(node.arg);
    case 'bin':
      return [...referencedIds(node.left), ...referencedIds(node.right)];
    case 'call':
      return node.args.flatMap(referencedIds);
  }
}

/**
 * Evaluates an expression for one datapoint.
 * @param lookup the value of a metric id at this datapoint, undefined when missing
 * @returns the value, or undefined when missing or not finite
 */
export function evaluateMath(node: MathNode, lookup: (id: string) => number | undefined): number | undefined {
  const v = evalNode(node, lookup);
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

function evalNode(node: MathNode, lookup: (id: string) => number | undefined): number | undefined {
  switch (node.kind) {
    case 'num':
      return node.value;
    case 'id':
      return lookup(node.id);
    case 'neg': {
      const a = evalNode(node.arg, lookup);
      return a === undefined ? undefined : -a;
    }
    case 'bin': {
      const a = evalNode(node.left, lookup);
      const b = evalNode(node.right, lookup);
      if (a === undefined || b === undefined) return undefined;
      switch (node.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return b === 0 ? undefined : a / b;
        case '>':
          return a > b ? 1 : 0;
        case '>=':
          return a >= b ? 1 : 0;
        case '<':
          return a < b ? 1 : 0;
        case '<=':
          return a <= b ? 1 : 0;
      }
      return undefined;
    }
    case 'call': {
      if (node.fn === 'FILL') {
        if (node.args.length !== 2) throw new AlarmEvaluationError('FILL takes (metric, value)');
        return evalNode(node.args[0]!, lookup) ?? evalNode(node.args[1]!, lookup);
      }
      if (node.fn === 'IF') {
        if (node.args.length !== 3) throw new AlarmEvaluationError('IF takes (condition, then, else) here');
        const c = evalNode(node.args[0]!, lookup);
        if (c === undefined) return undefined;
        return evalNode(node.args[c !== 0 ? 1 : 2]!, lookup);
      }
      if (node.fn === 'ABS') {
        const a = node.args[0] === undefined ? undefined : evalNode(node.args[0], lookup);
        return a === undefined ? undefined : Math.abs(a);
      }
      throw new AlarmEvaluationError(`${node.fn} can only be the whole expression of an alarm's band query`);
    }
  }
}
