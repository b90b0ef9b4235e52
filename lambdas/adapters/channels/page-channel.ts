/**
 * The port every notification channel implements. A channel sends one message to one contact or
 * throws a {@link ChannelError}; retries and the e-mail fallback live in `with-fallback.ts`.
 */
import type { Channel, ContactConfig } from '../../core/config/schema';
import type { PageText } from '../../core/escalation/texts';

/** A contact with its id (the key of `escalation.contacts`). */
export interface PageRecipient extends ContactConfig {
  readonly id: string;
}

/** Sends pages on one channel. */
export interface PageChannel {
  readonly channel: Channel;
  /** @throws ChannelError when the message was not accepted */
  send(to: PageRecipient, text: PageText): Promise<void>;
}

/** A message a channel could not send. `permanent` errors are not retried (e.g. no address). */
export class ChannelError extends Error {
  constructor(
    readonly channel: Channel,
    readonly contactId: string,
    reason: string,
    readonly permanent = false,
  ) {
    super(`${channel} to ${contactId} failed: ${reason}`);
    this.name = 'ChannelError';
  }
}

/** Turns an unknown failure into a ChannelError. */
export function channelError(channel: Channel, contactId: string, err: unknown): ChannelError {
  if (err instanceof ChannelError) return err;
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new ChannelError(channel, contactId, reason);
}
