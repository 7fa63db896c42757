/**
 * The remediate-member function's settings: the environment variables it reads
 * ({@link REMEDIATE_MEMBER_ENV}), their typed form, the reader that checks them all at once, and
 * {@link environmentOf}, which writes them.
 */
import { type Environment, environmentFrom, optionalField, readSettings } from '../settings';

/** The environment variables of the remediate-member function, by setting. */
export const REMEDIATE_MEMBER_ENV = {
  namePrefix: 'NAME_PREFIX',
  memberRequestKeyArn: 'MEMBER_REQUEST_KEY_ARN',
  inventoryFile: 'INVENTORY_FILE',
} as const;

/** What the remediate-member function's environment holds, typed. */
export interface RemediateMemberEnvironment {
  /** The inventory's `namePrefix`: every member role name derives from it (config/naming.ts). */
  readonly namePrefix: string;
  /** ARN of the KMS HMAC key execute requests are signed with. */
  readonly memberRequestKeyArn: string;
  /** The accounts requests may name. @default `<code dir>/inventory.json` */
  readonly inventoryFile?: string;
}

/** Settings the handler runs with: the environment, with the bundled inventory resolved. */
export interface RemediateMemberSettings extends RemediateMemberEnvironment {
  readonly inventoryFile: string;
}

/** What config/inventory.ts accepts as a name prefix. */
const NAME_PREFIX = /^[a-z][a-z0-9-]*$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/**
 * Reads and checks the environment; every problem is reported at once.
 * @throws ConfigurationError
 */
export function readRemediateMemberEnvironment(env: Environment): RemediateMemberEnvironment {
  return readSettings(env, 'remediate-member handler', (r) => {
    const N = REMEDIATE_MEMBER_ENV;
    const namePrefix = r.matching(
      N.namePrefix,
      NAME_PREFIX,
      "lower-case letters, digits and '-', starting with a letter",
      {
        required: "the inventory's namePrefix, e.g. vigil",
      },
    );
    const keyArn = r.matching(
      N.memberRequestKeyArn,
      KMS_KEY_ARN,
      'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)',
      {
        required: 'ARN of the KMS HMAC key remediate signs execute requests with',
      },
    );
    return {
      namePrefix: namePrefix ?? '',
      memberRequestKeyArn: keyArn ?? '',
      ...optionalField('inventoryFile', r.text(N.inventoryFile)),
    };
  });
}

/**
 * Reads the environment and resolves the bundled inventory (relative to `dir`).
 * @throws ConfigurationError
 */
export function readRemediateMemberSettings(env: Environment, dir: string): RemediateMemberSettings {
  const e = readRemediateMemberEnvironment(env);
  return { ...e, inventoryFile: e.inventoryFile ?? `${dir}/inventory.json` };
}

/** The Lambda environment that {@link readRemediateMemberEnvironment} reads back as `e`. */
export function environmentOf(e: RemediateMemberEnvironment): Record<string, string> {
  return environmentFrom([
    [REMEDIATE_MEMBER_ENV.namePrefix, e.namePrefix],
    [REMEDIATE_MEMBER_ENV.memberRequestKeyArn, e.memberRequestKeyArn],
    [REMEDIATE_MEMBER_ENV.inventoryFile, e.inventoryFile],
  ]);
}
