/**
 * Reads notification secrets (Slack webhook URLs, PagerDuty routing keys) by reference from Secrets
 * Manager or SSM Parameter Store SecureStrings, with an in-memory TTL cache per Lambda container.
 * Secrets are never configured as plain values: environment variables hold references only, so the
 * values stay out of Terraform state, the Lambda configuration and its logs.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SecretRef } from '../core/alert';
import { classifySdkError, type SdkErrorShape } from '../core/retry';
import { DeliveryError, SecretReadError } from '../errors';

export { type ParsedSecretRef, parseSecretRef } from '../core/secret-ref';
import { type ParsedSecretRef, parseSecretRef } from '../core/secret-ref';

/** Options of {@link makeSecretReader}. */
export interface SecretReaderOptions {
  /** @default - a client created on first use, for the Lambda's region */
  readonly secretsManager?: SecretsManagerClient;
  /** @default - a client created on first use, for the Lambda's region */
  readonly ssm?: SSMClient;
  /**
   * How long a value is reused. Five minutes keeps Secrets Manager calls to a handful per container
   * while a rotated webhook is picked up quickly; a delivery that fails permanently also drops the
   * cached value (see `invalidate`). @default 300000
   */
  readonly ttlMs?: number;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** Reads secrets by reference. */
export interface SecretReader {
  /** The secret's value; throws `SecretReferenceError` or `SecretReadError` (with `permanent`). */
  read(ref: SecretRef | string): Promise<string>;
  /** Forgets the cached value, e.g. after the webhook it holds was refused (it may have been rotated). */
  invalidate(ref: SecretRef | string): void;
}

/**
 * Runs `send` with a secret's value; when the channel refuses for good (a permanent {@link DeliveryError}),
 * forgets the cached value, in case the secret was rotated since, and rethrows. `read` defaults to
 * `secrets.read` (a caller may wrap it to classify read failures per channel).
 */
export async function withSecret<T>(
  secrets: Pick<SecretReader, 'read' | 'invalidate'>,
  ref: SecretRef,
  send: (value: string) => Promise<T>,
  read: (ref: SecretRef) => Promise<string> = (r) => secrets.read(r),
): Promise<T> {
  const value = await read(ref);
  try {
    return await send(value);
  } catch (err) {
    if (err instanceof DeliveryError && err.permanent) secrets.invalidate(ref);
    throw err;
  }
}

/** Builds a {@link SecretReader} with its own cache. */
export function makeSecretReader(options: SecretReaderOptions = {}): SecretReader {
  const ttlMs = options.ttlMs ?? 300_000;
  const now = options.now ?? Date.now;
  // Created on first use, so a container that only reads SSM never builds a Secrets Manager client.
  let secretsManager = options.secretsManager;
  let ssm = options.ssm;
  const secretsManagerClient = () => {
    secretsManager ??= new SecretsManagerClient({});
    return secretsManager;
  };
  const ssmClient = () => {
    ssm ??= new SSMClient({});
    return ssm;
  };
  // The promise is cached, not the value, so concurrent reads of one secret make one call.
  const cache = new Map<string, { readonly value: Promise<string>; readonly expiresAt: number }>();

  const fetchValue = async (parsed: ParsedSecretRef): Promise<string> => {
    if (parsed.store === 'secretsmanager') {
      const client = secretsManagerClient();
      const out = await callAws(`Secrets Manager secret '${parsed.secretId}'`, () =>
        client.send(new GetSecretValueCommand({ SecretId: parsed.secretId })),
      );
      if (typeof out.SecretString !== 'string') {
        throw new SecretReadError(
          `Secrets Manager secret '${parsed.secretId}' has no SecretString (binary secrets are not supported)`,
          {
            permanent: true,
          },
        );
      }
      return parsed.jsonKey === undefined
        ? out.SecretString
        : pickJsonKey(parsed.secretId, out.SecretString, parsed.jsonKey);
    }
    const client = ssmClient();
    const out = await callAws(`SSM parameter '${parsed.name}'`, () =>
      client.send(new GetParameterCommand({ Name: parsed.name, WithDecryption: true })),
    );
    if (out.Parameter?.Type !== 'SecureString') {
      throw new SecretReadError(
        `SSM parameter '${parsed.name}' is of type ${out.Parameter?.Type ?? 'unknown'}; store secrets as SecureString`,
        { permanent: true },
      );
    }
    return out.Parameter.Value ?? '';
  };

  return {
    async read(ref) {
      const parsed = parseSecretRef(ref);
      const cached = cache.get(ref);
      if (cached && cached.expiresAt > now()) return cached.value;
      const value = fetchValue(parsed).then((v) => {
        if (v.trim() === '') throw new SecretReadError(`secret ${describe(parsed)} is empty`, { permanent: true });
        return v.trim();
      });
      cache.set(ref, { value, expiresAt: now() + ttlMs });
      // A failed read is not cached: the next delivery attempt asks again.
      value.catch(() => {
        if (cache.get(ref)?.value === value) cache.delete(ref);
      });
      return value;
    },
    invalidate(ref) {
      cache.delete(ref);
    },
  };
}

function describe(parsed: ParsedSecretRef): string {
  return parsed.store === 'secretsmanager' ? `'${parsed.secretId}'` : `'${parsed.name}'`;
}

async function callAws<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = err as SdkErrorShape & { readonly message?: string };
    throw new SecretReadError(
      `reading ${what} failed: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`,
      { permanent: classifySdkError(e) === 'permanent' },
      { cause: err },
    );
  }
}

function pickJsonKey(secretId: string, secretString: string, key: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new SecretReadError(`Secrets Manager secret '${secretId}' is not JSON, so '#${key}' cannot be read from it`, {
      permanent: true,
    });
  }
  const value = (parsed as Record<string, unknown> | null)?.[key];
  if (typeof value !== 'string') {
    throw new SecretReadError(`Secrets Manager secret '${secretId}' has no string key '${key}'`, { permanent: true });
  }
  return value;
}
