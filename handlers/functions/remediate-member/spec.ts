/**
 * remediate-member (invoked by remediate only): verifies each signed request and makes the member-account
 * reads and changes. Its environment, written by the security stack from `remediateMemberEnvironment`,
 * read with `readRemediateMemberSettings`.
 */
import { type Env, SettingsReader } from '../settings';

export const REMEDIATE_MEMBER_ENV = {
  namePrefix: 'NAME_PREFIX',
  memberRequestKeyArn: 'MEMBER_REQUEST_KEY_ARN',
  inventoryTable: 'INVENTORY_TABLE',
} as const;

export interface RemediateMemberSettings {
  /** The inventory's namePrefix (names of the member roles). */
  readonly namePrefix: string;
  /** ARN of the KMS HMAC key remediate signs execute requests with. */
  readonly memberRequestKeyArn: string;
  /** The inventory table (config/naming.ts `tableNames(inv).inventory`): the account view, read at run time. */
  readonly inventoryTable: string;
}

const E = REMEDIATE_MEMBER_ENV;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

export function remediateMemberEnvironment(s: RemediateMemberSettings): Record<string, string> {
  return {
    [E.namePrefix]: s.namePrefix,
    [E.memberRequestKeyArn]: s.memberRequestKeyArn,
    [E.inventoryTable]: s.inventoryTable,
  };
}

/** @throws ConfigurationError listing every problem */
export function readRemediateMemberSettings(env: Env): RemediateMemberSettings {
  const r = new SettingsReader(env, 'remediate-member');
  const namePrefix = r.text(E.namePrefix);
  if (!namePrefix) {
    r.problem(`${E.namePrefix}: required (the inventory's namePrefix, e.g. vigil)`);
  } else if (!/^[a-z][a-z0-9-]*$/.test(namePrefix)) {
    r.problem(
      `${E.namePrefix}: expected lower-case letters, digits and '-', starting with a letter, got '${namePrefix.slice(0, 20)}'`,
    );
  }
  // Reported in full when wrong (an ARN is not a secret), so the fix is obvious.
  const keyArn = r.text(E.memberRequestKeyArn);
  if (!keyArn || !KEY_ARN.test(keyArn)) {
    r.problem(
      `${E.memberRequestKeyArn}: required (ARN of the KMS HMAC key remediate signs execute requests with), ` +
        `got '${(keyArn ?? '').slice(0, 80)}'`,
    );
  }
  const inventoryTable = r.required(E.inventoryTable, 'the inventory table, which holds the account view');
  return r.done({ namePrefix: namePrefix ?? '', memberRequestKeyArn: keyArn ?? '', inventoryTable });
}
