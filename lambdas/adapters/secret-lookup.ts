/**
 * Secret values named by the configuration: phone numbers in SSM SecureString parameters and
 * chat webhook URLs / the ack signing key in Secrets Manager. Cached per warm Lambda so a page
 * burst does not hit the APIs' rate limits; the cache expires so a rotated value is picked up.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';

/** Looks up a secret value by name. */
export interface SecretLookup {
  /** @throws SecretLookupError when the value cannot be read */
  get(name: string): Promise<string>;
}

/** A secret or parameter that could not be read; the message names it. */
export class SecretLookupError extends Error {
  constructor(
    readonly secretName: string,
    reason: string,
  ) {
    super(`Cannot read ${secretName}: ${reason}`);
    this.name = 'SecretLookupError';
  }
}

const DEFAULT_TTL_MS = 5 * 60_000;

abstract class CachedLookup implements SecretLookup {
  private readonly cache = new Map<string, { value: string; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  protected abstract fetch(name: string): Promise<string | undefined>;

  async get(name: string): Promise<string> {
    const hit = this.cache.get(name);
    if (hit !== undefined && hit.until > this.now()) return hit.value;
    let value: string | undefined;
    try {
      value = await this.fetch(name);
    } catch (err) {
      throw new SecretLookupError(name, err instanceof Error ? err.message : String(err));
    }
    if (value === undefined || value === '') throw new SecretLookupError(name, 'it has no value');
    this.cache.set(name, { value, until: this.now() + this.ttlMs });
    return value;
  }
}

/** SSM parameters (SecureString decrypted). */
export class SsmParameterLookup extends CachedLookup {
  constructor(
    private readonly ssm: SSMClient,
    ttlMs = DEFAULT_TTL_MS,
    now: () => number = Date.now,
  ) {
    super(ttlMs, now);
  }

  protected async fetch(name: string): Promise<string | undefined> {
    const out = await this.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    return out.Parameter?.Value;
  }
}

/** Secrets Manager secrets (string values). */
export class SecretsManagerLookup extends CachedLookup {
  constructor(
    private readonly secrets: SecretsManagerClient,
    ttlMs = DEFAULT_TTL_MS,
    now: () => number = Date.now,
  ) {
    super(ttlMs, now);
  }

  protected async fetch(name: string): Promise<string | undefined> {
    const out = await this.secrets.send(new GetSecretValueCommand({ SecretId: name }));
    return out.SecretString;
  }
}

/** Fixed values (tests, local mode). */
export class StaticSecretLookup implements SecretLookup {
  constructor(private readonly values: Readonly<Record<string, string>>) {}

  async get(name: string): Promise<string> {
    const value = this.values[name];
    if (value === undefined) throw new SecretLookupError(name, 'not among the local values');
    return value;
  }
}
