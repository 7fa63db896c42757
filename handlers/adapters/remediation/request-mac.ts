/**
 * The KMS HMAC key that binds remediate's execute requests to remediate-member
 * (handlers/core/remediation/member-contract.ts memberRequestMessage). remediate signs with
 * `kms:GenerateMac`, remediate-member verifies with `kms:VerifyMac`; the key policy (stacks/security-stack.ts)
 * lets only the remediate function's role generate and only remediate-member's role verify, and the key
 * material never leaves KMS. One small client per side, so each bundle carries only the command it uses.
 */
import { GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';

/** The only MAC algorithm of the request key (key spec HMAC_256). */
export const MEMBER_REQUEST_MAC_ALGORITHM = 'HMAC_SHA_256';

/** Options of {@link makeRequestSigner} and {@link makeRequestVerifier}. */
export interface RequestMacOptions {
  /** Key id or ARN of the member request key (env `MEMBER_REQUEST_KEY_ARN`). */
  readonly keyId: string;
  /** @default - a client in the Lambda's region */
  readonly client?: KMSClient;
}

/** remediate's side: the base64 MAC of a message (throws when KMS refuses). */
export function makeRequestSigner(options: RequestMacOptions): (message: string) => Promise<string> {
  const client = options.client ?? new KMSClient({});
  return async (message) => {
    const out = await client.send(
      new GenerateMacCommand({
        KeyId: options.keyId,
        MacAlgorithm: MEMBER_REQUEST_MAC_ALGORITHM,
        Message: new TextEncoder().encode(message),
      }),
    );
    if (!out.Mac || out.Mac.length === 0) throw new Error('KMS GenerateMac returned no MAC');
    return Buffer.from(out.Mac).toString('base64');
  };
}

/**
 * remediate-member's side: whether `mac` is the key's MAC of `message`. KMS answers a wrong MAC with
 * `KMSInvalidMacException` (VerifyMac API reference): that is `false`. Any other failure (throttling,
 * access denied) is thrown: the request is then not executed, and remediate sees a transient failure.
 */
export function makeRequestVerifier(options: RequestMacOptions): (message: string, mac: string) => Promise<boolean> {
  const client = options.client ?? new KMSClient({});
  return async (message, mac) => {
    try {
      const out = await client.send(
        new VerifyMacCommand({
          KeyId: options.keyId,
          MacAlgorithm: MEMBER_REQUEST_MAC_ALGORITHM,
          Message: new TextEncoder().encode(message),
          Mac: Buffer.from(mac, 'base64'),
        }),
      );
      return out.MacValid === true;
    } catch (err) {
      if ((err as { name?: unknown } | null)?.name === 'KMSInvalidMacException') return false;
      throw err;
    }
  };
}
