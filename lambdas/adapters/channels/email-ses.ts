/** E-mail pages through SES (SendEmail, plain text). */
import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { PageText } from '../../core/escalation/texts';
import { ChannelError, channelError, type PageChannel, type PageRecipient } from './page-channel';

/** Sends the page's subject and body from the configured sender. */
export class SesEmailChannel implements PageChannel {
  readonly channel = 'email' as const;

  constructor(
    private readonly ses: SESClient,
    private readonly senderEmail: string,
  ) {}

  /** {@inheritDoc PageChannel.send} */
  async send(to: PageRecipient, text: PageText): Promise<void> {
    if (to.email === undefined) throw new ChannelError('email', to.id, 'the contact has no email', true);
    try {
      await this.ses.send(
        new SendEmailCommand({
          Source: this.senderEmail,
          Destination: { ToAddresses: [to.email] },
          Message: {
            Subject: { Data: text.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: text.body, Charset: 'UTF-8' } },
          },
        }),
      );
    } catch (err) {
      throw channelError('email', to.id, err);
    }
  }
}
