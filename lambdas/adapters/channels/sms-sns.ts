/** SMS pages through SNS (direct publish to a phone number, transactional). */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { PageText } from '../../core/escalation/texts';
import type { SecretLookup } from '../secret-lookup';
import { ChannelError, channelError, type PageChannel, type PageRecipient } from './page-channel';

/** Sends `text.sms` to the number held in the contact's SSM parameter. */
export class SnsSmsChannel implements PageChannel {
  readonly channel = 'sms' as const;

  constructor(
    private readonly sns: SNSClient,
    private readonly phones: SecretLookup,
  ) {}

  /** {@inheritDoc PageChannel.send} */
  async send(to: PageRecipient, text: PageText): Promise<void> {
    if (to.phoneParameter === undefined) {
      throw new ChannelError('sms', to.id, 'the contact has no phoneParameter', true);
    }
    try {
      const phone = await this.phones.get(to.phoneParameter);
      await this.sns.send(
        new PublishCommand({
          PhoneNumber: phone,
          Message: text.sms,
          MessageAttributes: {
            // Transactional: delivered with priority, and not subject to marketing opt-outs rules.
            'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
          },
        }),
      );
    } catch (err) {
      throw channelError('sms', to.id, err);
    }
  }
}
