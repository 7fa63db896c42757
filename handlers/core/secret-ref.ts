/**
 * Secret references (`secretsmanager:<name-or-arn>[#<json-key>]`, `ssm:<parameter-name>`): parsed here,
 * read by handlers/adapters/secrets.ts. Environment variables and config hold references only.
 */
import { SecretReferenceError } from '../errors';

/** A parsed {@link SecretRef}. */
export type ParsedSecretRef =
  | {
      readonly store: 'secretsmanager';
      /** Secret name or ARN. */
      readonly secretId: string;
      /** Key to pick from a JSON secret (`#key`). @default - the whole SecretString */
      readonly jsonKey?: string;
    }
  | { readonly store: 'ssm'; readonly name: string };

/**
 * Parses `secretsmanager:<name-or-arn>[#<json-key>]` or `ssm:<parameter-name>`. `#` cannot occur in
 * a secret name or ARN (Secrets Manager allows letters, digits and `/_+=.@-`), so it is a safe
 * separator. The message of the error never repeats the input: a malformed reference may well be
 * the secret itself pasted into the wrong place.
 */
export function parseSecretRef(ref: string): ParsedSecretRef {
  const expected = "expected 'secretsmanager:<name-or-arn>[#<json-key>]' or 'ssm:<parameter-name>'";
  const colon = ref.indexOf(':');
  const scheme = colon < 0 ? '' : ref.slice(0, colon);
  const rest = colon < 0 ? '' : ref.slice(colon + 1);
  if (/\s/.test(ref) || rest === '') {
    throw new SecretReferenceError(`not a secret reference (${ref.length} characters); ${expected}`);
  }
  if (scheme === 'secretsmanager') {
    const [secretId, jsonKey, extra] = rest.split('#');
    if (!secretId || jsonKey === '' || extra !== undefined) {
      throw new SecretReferenceError(`malformed Secrets Manager reference; ${expected}`);
    }
    return jsonKey === undefined
      ? { store: 'secretsmanager', secretId }
      : { store: 'secretsmanager', secretId, jsonKey };
  }
  if (scheme === 'ssm') return { store: 'ssm', name: rest };
  throw new SecretReferenceError(
    `not a secret reference (scheme '${scheme.length <= 20 ? scheme : '…'}'); ${expected}. ` +
      'Secrets must be stored in Secrets Manager or as an SSM SecureString, never configured in plain text',
  );
}
