import {
  InternalErrorException,
  InvalidParameterException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { makeEmailPublisher, makeSnsClient } from '../../../handlers/adapters/email';
import { formatEmail } from '../../../handlers/core/format-email';
import { NOW, sampleAlert } from '../../helpers/alerts';
import 'aws-sdk-client-mock-jest';

const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:999999999999:vigil-alerts-payments';
const email = formatEmail(sampleAlert(), { now: NOW });
const publish = makeEmailPublisher(makeSnsClient({ region: 'eu-west-1' }));

beforeEach(() => sns.reset());

describe('makeEmailPublisher', () => {
  it('publishes subject and body to the topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1', $metadata: { attempts: 1 } });

    await expect(publish(TOPIC, email)).resolves.toEqual({ messageId: 'm-1', attempts: 1 });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: email.subject,
      Message: email.body,
    });
  });

  it("leaves retries to the SDK's standard mode, three attempts", async () => {
    const client = makeSnsClient({ region: 'eu-west-1' });
    expect(await client.config.maxAttempts()).toBe(3);
    expect(((await client.config.retryStrategy()) as { mode?: string }).mode).toBe('standard');
  });

  it.each([
    ['throttling', new ThrottledException({ message: 'Rate exceeded', $metadata: { attempts: 3 } })],
    [
      'an SNS internal error',
      new InternalErrorException({ message: 'oops', $metadata: { httpStatusCode: 500, attempts: 3 } }),
    ],
    ['a network error', Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })],
  ])('fails transiently on %s that outlasted the SDK retries', async (_case, err) => {
    sns.on(PublishCommand).rejects(err);

    await expect(publish(TOPIC, email)).rejects.toMatchObject({
      name: 'DeliveryError',
      channel: 'email',
      permanent: false,
    });
  });

  it('fails permanently on an invalid parameter', async () => {
    sns.on(PublishCommand).rejects(
      new InvalidParameterException({
        message: 'Invalid parameter: Subject',
        $metadata: { httpStatusCode: 400, attempts: 1 },
      }),
    );

    const error = await publish(TOPIC, email).catch((e: unknown) => e);
    expect(error).toMatchObject({ channel: 'email', permanent: true, attempts: 1, status: 400 });
    expect((error as Error).message).toContain('InvalidParameterException: Invalid parameter: Subject');
    expect((error as Error).cause).toBeInstanceOf(InvalidParameterException);
  });

  it('fails permanently, without calling SNS, when the topic is not an SNS topic ARN', async () => {
    await expect(publish('vigil-alerts', email)).rejects.toMatchObject({ permanent: true, attempts: 0 });
    expect(sns.calls()).toHaveLength(0);
  });
});
