/**
 * The logging port of the escalation handlers; the Powertools Logger fits it as it is, and
 * tests pass an array-backed one to assert what was logged.
 */
export interface EscalationLog {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
}
