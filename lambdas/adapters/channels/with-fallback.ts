/**
 * Delivery with retries and the e-mail fallback. A page never throws into the ladder: the result
 * says which channel delivered it, or that none could, and the ladder records it and climbs on.
 */
import type { Channel } from '../../core/config/schema';
import type { PageText } from '../../core/escalation/texts';
import type { PageOutcome } from '../../core/incidents/decisions';
import { channelError, type PageChannel, type PageRecipient } from './page-channel';

/** Options of {@link FallbackPager}. */
export interface FallbackPagerOptions {
  /**
   * Attempts per channel, the first included.
   * @default 3
   */
  readonly attempts?: number;
  /**
   * Pause before retry n (1-based), ms.
   * @default 200 ms doubling per retry
   */
  readonly backoffMs?: (retry: number) => number;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Pages one contact on a channel, retrying, then falling back to e-mail. */
export class FallbackPager {
  private readonly channels: ReadonlyMap<Channel, PageChannel>;
  private readonly attempts: number;
  private readonly backoffMs: (retry: number) => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(channels: readonly PageChannel[], options: FallbackPagerOptions = {}) {
    this.channels = new Map(channels.map((c) => [c.channel, c]));
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.backoffMs = options.backoffMs ?? ((retry) => 200 * 2 ** (retry - 1));
    this.sleep = options.sleep ?? ((ms) => new Promise((done) => setTimeout(done, ms)));
  }

  private async tryChannel(channel: Channel, to: PageRecipient, text: PageText, failures: string[]): Promise<boolean> {
    const impl = this.channels.get(channel);
    if (impl === undefined) {
      failures.push(`${channel}: no such channel configured`);
      return false;
    }
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (attempt > 1) await this.sleep(this.backoffMs(attempt - 1));
      try {
        await impl.send(to, text);
        return true;
      } catch (err) {
        const e = channelError(channel, to.id, err);
        failures.push(e.message);
        if (e.permanent) return false;
      }
    }
    return false;
  }

  /** Sends, never throws; the outcome names the channel that delivered, if any. */
  async page(to: PageRecipient, requested: Channel, text: PageText): Promise<PageOutcome> {
    const failures: string[] = [];
    if (await this.tryChannel(requested, to, text, failures)) {
      return { contactId: to.id, requested, deliveredBy: requested, failures };
    }
    if (requested !== 'email' && (await this.tryChannel('email', to, text, failures))) {
      return { contactId: to.id, requested, deliveredBy: 'email', failures };
    }
    return { contactId: to.id, requested, failures };
  }
}
