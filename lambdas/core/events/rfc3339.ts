/**
 * Strict RFC 3339 timestamps. `Date.parse` is lenient (it accepts `2026-02-30` and a space for
 * `T`), so event times are parsed here, field by field, with calendar checks. Character codes
 * rather than a regex: this runs once per record on the aggregator's hot path.
 */

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The value of `n` ASCII digits at `at`, or -1 when any is not a digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Epoch milliseconds of an RFC 3339 timestamp with zone (`2026-11-22T08:00:00Z`,
 * `2026-11-22T09:00:00.250+01:00`), or `undefined` when `text` is not one. Up to 9 fraction
 * digits; sub-millisecond digits are truncated.
 */
export function parseRfc3339(text: string): number | undefined {
  const s = text;
  if (s.length < 20 || s.length > 35) return undefined;
  const t = s.charCodeAt(10);
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || (t !== 84 && t !== 116)) return undefined;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    const start = ++i;
    while (i < s.length && i - start < 10) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      if (i - start < 3) ms = ms * 10 + c;
      i++;
    }
    const n = i - start;
    if (n === 0 || n > 9) return undefined;
    if (n === 1) ms *= 100;
    else if (n === 2) ms *= 10;
  }
  let offsetMin = 0;
  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) {
    if (i + 1 !== s.length) return undefined;
  } else if (z === 43 || z === 45) {
    if (i + 6 !== s.length || s.charCodeAt(i + 3) !== 58) return undefined;
    const oh = digits(s, i + 1, 2);
    const om = digits(s, i + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om);
  } else return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
}
