/**
 * The base of every error that means "the configuration (or the catalog it extends) is wrong":
 * nothing was done, and the message names the key and the rule it breaks. The edges map it once:
 * the CLI exits 2 with the message, `cdk synth` prints it and exits 2, neither with a stack trace.
 */
export class ConfigurationError extends Error {
  /** The offending key, dotted (`alarms.overrides.foo-p1`, `customKpis[2].field`); empty for the root. */
  readonly key: string;
  /** The rule broken, e.g. `must be snake_case, 2-63 chars`. */
  readonly rule: string;
  constructor(key: string, rule: string, message = `${key || '(root)'}: ${rule}`) {
    super(message);
    this.name = 'ConfigurationError';
    this.key = key;
    this.rule = rule;
  }
}
