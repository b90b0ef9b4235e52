/**
 * Spreading the alerting tenants over evaluator invocations: each scheduled invocation evaluates
 * one shard, so a minute's work stays a fixed size whatever the tenant count.
 *
 * Pure.
 */

/** Tenants per scheduled invocation: about 20 s of work a minute at 250 tenants (see docs/scale.md). */
export const TENANTS_PER_SHARD = 250;

/** How many shards `count` tenants need (at least 1). */
export function shardCount(count: number, perShard: number = TENANTS_PER_SHARD): number {
  return Math.max(1, Math.ceil(count / perShard));
}

/**
 * The tenants of shard `index` of `shards`: a stable hash of the id, so adding a tenant moves no
 * other tenant between shards.
 */
export function tenantsOfShard(tenants: readonly string[], index: number, shards: number): string[] {
  if (!Number.isInteger(shards) || shards < 1 || !Number.isInteger(index) || index < 0 || index >= shards) {
    throw new RangeError(`shard ${index} of ${shards} is not a valid shard`);
  }
  return tenants.filter((t) => fnv1a(t) % shards === index);
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
