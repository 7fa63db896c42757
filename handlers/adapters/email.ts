/**
 * Publishes a formatted alert to the owner's SNS topic (email subscriptions). Retries are the SDK's
 * own (standard retry mode: exponential backoff with jitter on throttling, 5xx and network errors,
 * see "Retry behavior" in the AWS SDKs and Tools Reference Guide); what still fails is classified
 * once, here.
 */
import { PublishCommand, SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import type { EmailMessage } from '../core/format-email';
import { classifySdkError, type SdkErrorShape } from '../core/retry';
import { DeliveryError } from '../errors';

/** Three attempts in standard mode, as for the webhooks: SQS redelivery covers longer outages. */
export const SNS_RETRY_CONFIG = { maxAttempts: 3, retryMode: 'standard' } as const;

/** An SNS client with {@link SNS_RETRY_CONFIG}; create it once per Lambda container, outside the handler. */
export function makeSnsClient(config: SNSClientConfig = {}): SNSClient {
  return new SNSClient({ ...SNS_RETRY_CONFIG, ...config });
}

/** A message SNS accepted. */
export interface EmailReceipt {
  readonly messageId?: string;
  /** Requests the SDK made, retries included. */
  readonly attempts: number;
}

/** Publishes `email` to `topicArn`; throws a `DeliveryError` (channel `email`) when SNS refuses it. */
export type EmailPublisher = (topicArn: string, email: EmailMessage) => Promise<EmailReceipt>;

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** Builds an {@link EmailPublisher} over `client`. */
export function makeEmailPublisher(client: SNSClient = makeSnsClient()): EmailPublisher {
  return async (topicArn, email) => {
    if (!TOPIC_ARN.test(topicArn)) {
      throw new DeliveryError(`SNS topic: '${topicArn}' is not an SNS topic ARN`, {
        channel: 'email',
        permanent: true,
        attempts: 0,
      });
    }
    try {
      const out = await client.send(
        new PublishCommand({ TopicArn: topicArn, Subject: email.subject, Message: email.body }),
      );
      return { messageId: out.MessageId, attempts: out.$metadata?.attempts ?? 1 };
    } catch (err) {
      const e = err as SdkErrorShape & { readonly message?: string };
      const permanent = classifySdkError(e) === 'permanent';
      const attempts = e.$metadata?.attempts ?? 1;
      throw new DeliveryError(
        `SNS Publish to ${topicArn}: ${e.name ?? 'Error'}: ${e.message ?? String(err)} after ${attempts} attempt${attempts === 1 ? '' : 's'}`,
        { channel: 'email', permanent, attempts, status: e.$metadata?.httpStatusCode },
        { cause: err },
      );
    }
  };
}
