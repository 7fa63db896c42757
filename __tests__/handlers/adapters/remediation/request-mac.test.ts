import { GenerateMacCommand, KMSClient, KMSInvalidMacException, VerifyMacCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import {
  MEMBER_REQUEST_MAC_ALGORITHM,
  makeRequestSigner,
  makeRequestVerifier,
} from '../../../../handlers/adapters/remediation/request-mac';

const kms = mockClient(KMSClient);
const KEY = 'arn:aws:kms:eu-west-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const MAC = Uint8Array.from({ length: 32 }, (_, i) => i);

beforeEach(() => kms.reset());

describe('makeRequestSigner', () => {
  it('asks KMS for an HMAC-SHA-256 of the message with the request key and returns it as base64', async () => {
    kms.on(GenerateMacCommand).resolves({ Mac: MAC, KeyId: KEY, MacAlgorithm: 'HMAC_SHA_256' });

    const mac = await makeRequestSigner({ keyId: KEY, client: new KMSClient({}) })('the message');

    expect(mac).toBe(Buffer.from(MAC).toString('base64'));
    const input = kms.commandCalls(GenerateMacCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ KeyId: KEY, MacAlgorithm: MEMBER_REQUEST_MAC_ALGORITHM });
    expect(new TextDecoder().decode(input.Message)).toBe('the message');
  });

  it('fails when KMS returns no MAC', async () => {
    kms.on(GenerateMacCommand).resolves({});

    await expect(makeRequestSigner({ keyId: KEY, client: new KMSClient({}) })('m')).rejects.toThrow(/no MAC/);
  });
});

describe('makeRequestVerifier', () => {
  const verify = makeRequestVerifier({ keyId: KEY, client: new KMSClient({}) });

  it('sends the message and the decoded MAC and answers what KMS says', async () => {
    kms.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: KEY });

    expect(await verify('the message', Buffer.from(MAC).toString('base64'))).toBe(true);
    const input = kms.commandCalls(VerifyMacCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ KeyId: KEY, MacAlgorithm: MEMBER_REQUEST_MAC_ALGORITHM });
    expect(Buffer.from(input.Mac!).equals(Buffer.from(MAC))).toBe(true);
  });

  it('answers false for a MAC KMS finds invalid (KMSInvalidMacException)', async () => {
    kms.on(VerifyMacCommand).rejects(new KMSInvalidMacException({ message: 'invalid', $metadata: {} }));

    expect(await verify('the message', Buffer.from(MAC).toString('base64'))).toBe(false);
  });

  it('throws any other failure (it cannot tell), so nothing is executed', async () => {
    kms.on(VerifyMacCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    await expect(verify('the message', Buffer.from(MAC).toString('base64'))).rejects.toThrow('denied');
  });
});
