/** Chat pages to a Slack-compatible incoming webhook whose URL is kept in Secrets Manager. */
import type { PageText } from '../../core/escalation/texts';
import type { SecretLookup } from '../secret-lookup';
import { ChannelError, channelError, type PageChannel, type PageRecipient } from './page-channel';

/** The fetch function the channel posts with (global fetch in Lambda). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

/** Posts `{ text }` (Slack's incoming-webhook format; Mattermost and Teams workflows accept it). */
export class ChatWebhookChannel implements PageChannel {
  readonly channel = 'chat' as const;

  constructor(
    private readonly webhooks: SecretLookup,
    private readonly fetchFn: FetchLike = fetch,
    private readonly timeoutMs = 5_000,
  ) {}

  /** {@inheritDoc PageChannel.send} */
  async send(to: PageRecipient, text: PageText): Promise<void> {
    if (to.chatWebhookSecret === undefined) {
      throw new ChannelError('chat', to.id, 'the contact has no chatWebhookSecret', true);
    }
    try {
      const url = await this.webhooks.get(to.chatWebhookSecret);
      const res = await this.fetchFn(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: `*${text.subject}*\n${text.body}` }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!res.ok) {
        const detail = (await res.text()).slice(0, 200);
        throw new ChannelError(
          'chat',
          to.id,
          `webhook answered ${res.status} ${detail}`.trim(),
          res.status < 500 && res.status !== 429,
        );
      }
    } catch (err) {
      throw channelError('chat', to.id, err);
    }
  }
}
