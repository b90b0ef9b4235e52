/**
 * Sizing composite alarm rules. CloudWatch refuses an `AlarmRule` over 10,240 characters and a
 * composite with more than 100 children. A rule references each child by ARN, so its length
 * depends on the alarm names, the partition and the Region: chunking by count alone let long
 * names in a long Region name reach 10,447 characters. Chunks are therefore cut by the rendered
 * length, computed for the longest partition and Region, with a margin below the limit.
 *
 * Pure: no SDK, no environment.
 */

/** Most characters a composite's rule may render to (CloudWatch allows 10,240; the rest is margin). */
export const MAX_RULE_CHARS = 10_000;
/** Most children of one composite (CloudWatch's limit). */
export const MAX_RULE_CHILDREN = 100;

/**
 * Characters of an alarm ARN before the name, at their longest: `arn:` + partition (`aws-us-gov`,
 * 10) + `:cloudwatch:` + Region (16, above the longest of today, `us-isof-south-1`) + `:` +
 * account (12) + `:alarm:`.
 */
export const MAX_ALARM_ARN_PREFIX = 'arn:'.length + 10 + ':cloudwatch:'.length + 16 + 1 + 12 + ':alarm:'.length;

/** `ALARM("<arn>")` plus the ` OR ` / ` AND ` joining it to the next child. */
const PER_CHILD_OVERHEAD = 'ALARM("")'.length + ' AND '.length;
/** The parentheses CDK puts around an `anyOf`/`allOf`. */
const PER_RULE_OVERHEAD = 2;

/** The longest a rule over `children` can render to, in any partition and Region. */
export function worstCaseRuleLength(children: readonly string[]): number {
  return children.reduce((n, name) => n + PER_CHILD_OVERHEAD + MAX_ALARM_ARN_PREFIX + name.length, PER_RULE_OVERHEAD);
}

/**
 * Splits child alarm names, in order, into the fewest consecutive chunks whose rules stay within
 * `maxChars` and `maxChildren`.
 * @throws RangeError when a single name alone does not fit (no chunking can help)
 */
export function chunkRuleChildren(
  names: readonly string[],
  maxChars: number = MAX_RULE_CHARS,
  maxChildren: number = MAX_RULE_CHILDREN,
): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = PER_RULE_OVERHEAD;
  for (const name of names) {
    const cost = PER_CHILD_OVERHEAD + MAX_ALARM_ARN_PREFIX + name.length;
    if (PER_RULE_OVERHEAD + cost > maxChars) {
      throw new RangeError(`Alarm name "${name}" alone makes a composite rule longer than ${maxChars} characters`);
    }
    if (current.length > 0 && (length + cost > maxChars || current.length >= maxChildren)) {
      chunks.push(current);
      current = [];
      length = PER_RULE_OVERHEAD;
    }
    current.push(name);
    length += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
