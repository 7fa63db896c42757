import {
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { makeSecretReader, parseSecretRef, withSecret } from '../../../handlers/adapters/secrets';
import { DeliveryError, SecretReadError, SecretReferenceError } from '../../../handlers/errors';
import 'aws-sdk-client-mock-jest';

const sm = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const WEBHOOK = 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';

beforeEach(() => {
  sm.reset();
  ssm.reset();
});

/** A reader on a clock the test moves. */
function reader(ttlMs = 60_000) {
  const clock = { now: 1_000_000 };
  const secrets = makeSecretReader({
    secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
    ssm: new SSMClient({ region: 'eu-west-1' }),
    ttlMs,
    now: () => clock.now,
  });
  return { secrets, clock };
}

describe('parseSecretRef', () => {
  it.each([
    ['secretsmanager:vigil/slack', { store: 'secretsmanager', secretId: 'vigil/slack' }],
    [
      'secretsmanager:arn:aws:secretsmanager:eu-west-1:111111111111:secret:vigil/slack-AbCdEf#webhook',
      {
        store: 'secretsmanager',
        secretId: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:vigil/slack-AbCdEf',
        jsonKey: 'webhook',
      },
    ],
    ['ssm:/vigil/pagerduty/payments', { store: 'ssm', name: '/vigil/pagerduty/payments' }],
  ])('parses %s', (ref, expected) => {
    expect(parseSecretRef(ref)).toEqual(expected);
  });

  it.each(['', 'vigil/slack', 'ssm:', 'secretsmanager:a#', 'secretsmanager:a#b#c', 'env:SLACK_URL', 'ssm:/a b'])(
    'fails when the reference is %p',
    (ref) => {
      expect(() => parseSecretRef(ref)).toThrow(SecretReferenceError);
    },
  );

  it('fails on a plain webhook URL without repeating it', () => {
    expect(() => parseSecretRef(WEBHOOK)).toThrow(/never configured in plain text/);
    expect(() => parseSecretRef(WEBHOOK)).not.toThrow(/XXXXXXXX|hooks\.slack\.com/);
  });
});

describe('makeSecretReader', () => {
  it('reads a Secrets Manager secret once and serves it from the cache within the TTL', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'vigil/slack' }).resolves({ SecretString: `${WEBHOOK}\n` });
    const { secrets, clock } = reader();

    await expect(secrets.read('secretsmanager:vigil/slack')).resolves.toBe(WEBHOOK);
    clock.now += 59_000;
    await expect(secrets.read('secretsmanager:vigil/slack')).resolves.toBe(WEBHOOK);

    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('reads it again once the TTL has passed', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'old' }).resolves({ SecretString: 'rotated' });
    const { secrets, clock } = reader();

    await expect(secrets.read('secretsmanager:vigil/slack')).resolves.toBe('old');
    clock.now += 60_000;
    await expect(secrets.read('secretsmanager:vigil/slack')).resolves.toBe('rotated');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('makes one call for concurrent reads of the same secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: WEBHOOK });
    const { secrets } = reader();

    await Promise.all([1, 2, 3].map(() => secrets.read('secretsmanager:vigil/slack')));
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('reads again after invalidate', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: WEBHOOK });
    const { secrets } = reader();

    await secrets.read('secretsmanager:vigil/slack');
    secrets.invalidate('secretsmanager:vigil/slack');
    await secrets.read('secretsmanager:vigil/slack');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('picks one key of a JSON secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ webhook: WEBHOOK, other: 'x' }) });
    const { secrets } = reader();

    await expect(secrets.read('secretsmanager:vigil/slack#webhook')).resolves.toBe(WEBHOOK);
    await expect(secrets.read('secretsmanager:vigil/slack#missing')).rejects.toMatchObject({
      name: 'SecretReadError',
      permanent: true,
      message: "Secrets Manager secret 'vigil/slack' has no string key 'missing'",
    });
  });

  it('reads an SSM SecureString with decryption, and caches it', async () => {
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Type: 'SecureString', Value: 'R0UTINGKEY0000000000000000000001' } });
    const { secrets } = reader();

    await expect(secrets.read('ssm:/vigil/pagerduty/payments')).resolves.toBe('R0UTINGKEY0000000000000000000001');
    await secrets.read('ssm:/vigil/pagerduty/payments');
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, {
      Name: '/vigil/pagerduty/payments',
      WithDecryption: true,
    });
  });

  it('fails permanently when the SSM parameter is a plain String', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Type: 'String', Value: 'R0UTINGKEY0000000000000000000001' } });
    const { secrets } = reader();

    await expect(secrets.read('ssm:/vigil/pagerduty/payments')).rejects.toMatchObject({
      name: 'SecretReadError',
      permanent: true,
      message: expect.stringMatching(/is of type String; store secrets as SecureString/),
    });
  });

  it('fails permanently on a missing secret, and transiently on a service error', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'gone' }).rejects(
      new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }),
    );
    sm.on(GetSecretValueCommand, { SecretId: 'flaky' }).rejects(
      new InternalServiceError({ message: 'oops', $metadata: {} }),
    );
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    const { secrets } = reader();

    const gone = await secrets.read('secretsmanager:gone').catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(SecretReadError);
    expect(gone).toMatchObject({ permanent: true, cause: expect.any(ResourceNotFoundException) });
    await expect(secrets.read('secretsmanager:flaky')).rejects.toMatchObject({ permanent: false });
    await expect(secrets.read('ssm:/gone')).rejects.toMatchObject({ permanent: true });
  });

  it('does not cache a failed read', async () => {
    sm.on(GetSecretValueCommand)
      .rejectsOnce(new InternalServiceError({ message: 'oops', $metadata: {} }))
      .resolves({ SecretString: WEBHOOK });
    const { secrets } = reader();

    await expect(secrets.read('secretsmanager:vigil/slack')).rejects.toThrow(SecretReadError);
    await expect(secrets.read('secretsmanager:vigil/slack')).resolves.toBe(WEBHOOK);
  });

  it('fails permanently on an empty or binary secret', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'empty' }).resolves({ SecretString: '  ' });
    sm.on(GetSecretValueCommand, { SecretId: 'binary' }).resolves({ SecretBinary: new Uint8Array([1]) });
    const { secrets } = reader();

    await expect(secrets.read('secretsmanager:empty')).rejects.toMatchObject({
      permanent: true,
      message: "secret 'empty' is empty",
    });
    await expect(secrets.read('secretsmanager:binary')).rejects.toMatchObject({ permanent: true });
  });

  it('never calls AWS for a plain value', async () => {
    const { secrets } = reader();

    await expect(secrets.read(WEBHOOK)).rejects.toThrow(SecretReferenceError);
    expect(sm.calls()).toHaveLength(0);
    expect(ssm.calls()).toHaveLength(0);
  });
});

describe('withSecret', () => {
  const reader = () => {
    const invalidated: string[] = [];
    return {
      invalidated,
      secrets: {
        read: async (ref: string) => `value-of-${ref}`,
        invalidate: (ref: string) => void invalidated.push(ref),
      },
    };
  };

  it('hands the value to the send and returns its result', async () => {
    const { secrets, invalidated } = reader();
    await expect(withSecret(secrets, 'ssm:/k', async (v) => v.length)).resolves.toBe('value-of-ssm:/k'.length);
    expect(invalidated).toEqual([]);
  });

  it('forgets the cached value after a permanent refusal only, and rethrows either way', async () => {
    const { secrets, invalidated } = reader();
    const refuse = (permanent: boolean) => async () => {
      throw new DeliveryError('slack: HTTP 404', { channel: 'slack', permanent, attempts: 1 });
    };
    await expect(withSecret(secrets, 'ssm:/transient', refuse(false))).rejects.toThrow('HTTP 404');
    await expect(withSecret(secrets, 'ssm:/gone', refuse(true))).rejects.toThrow('HTTP 404');
    expect(invalidated).toEqual(['ssm:/gone']);
  });

  it('reads through the given reader when one is passed', async () => {
    const { secrets } = reader();
    await expect(
      withSecret(
        secrets,
        'ssm:/k',
        async (v) => v,
        async () => 'wrapped',
      ),
    ).resolves.toBe('wrapped');
  });
});
