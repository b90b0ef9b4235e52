/**
 * Kinesis sequence numbers: decimal strings of up to 128 digits, increasing within a shard.
 * They exceed 2^53, so they are compared as BigInt, never as numbers.
 */

/** A sequence number that is not a decimal string. */
export class InvalidSequenceNumberError extends Error {
  constructor(text: string) {
    super(`"${text.slice(0, 140)}" is not a Kinesis sequence number (a decimal string)`);
    this.name = 'InvalidSequenceNumberError';
  }
}

const DECIMAL = /^\d{1,128}$/;

/**
 * Parses a sequence number.
 * @throws InvalidSequenceNumberError for anything but a decimal string
 */
export function parseSequenceNumber(text: string): bigint {
  if (!DECIMAL.test(text)) throw new InvalidSequenceNumberError(text);
  return BigInt(text);
}

/** Orders two sequence numbers (negative, zero, positive), exactly. */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = parseSequenceNumber(a);
  const y = parseSequenceNumber(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
