/**
 * Remediate-member Lambda. Trigger: a synchronous invoke (`RequestResponse`) from the remediate
 * function only (IAM: remediate's `lambda:InvokeFunction` on this function), with one request of
 * handlers/core/remediation/member-contract.ts: `{op: 'read-state', target}`, `{op: 'execute',
 * accountId, action, calls, role: 'remediation' | 'undo', dryRun?, requestId, expiresAt, mac}` or
 * `{op: 'read-tags', lookup}`. Effect: checks the request strictly (anything else is refused, nothing is
 * sent): its account must be in the inventory (the account view of the inventory table), and an execute request must carry a valid,
 * unexpired MAC of the request key (only remediate's role may generate one: KMS key policy) and only
 * calls the registry declares for its action and role. Then makes exactly that read
 * or those calls in the member account and returns `{ok: true, result}`; a typed failure
 * (RemediationCallError, RemediationStateError, a refused request) is returned as `{ok: false, error}`
 * so remediate can re-create it. Side effects: AssumeRole into `<prefix>-readonly` (state, tags),
 * `<prefix>-remediation` or `<prefix>-remediation-undo` (the calls), and those calls; this function's
 * role is the only one the member remediation and undo roles trust. It decides nothing: what to call
 * comes from remediate's pure core. Idempotency: reads are safe to repeat and every remediation call is
 * (already-done answers count as success), so a retried invoke changes nothing more.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeInventorySource, rebuiltPerInventory } from '../adapters/inventory-source';
import { builtOnFirstCall } from '../adapters/lambda-io';
import { isSupported } from '../adapters/remediation/execute';
import { makeLocalMemberIo } from '../adapters/remediation/member-io';
import { makeRequestVerifier } from '../adapters/remediation/request-mac';
import { createMemberFlow, type MemberAuthority } from '../core/flows/remediate-member-flow';
import type { WriteLine } from '../core/lambda-io';
import type { MemberIo, MemberResponse } from '../core/remediation/member-contract';
import { readRemediateMemberSettings } from '../functions/remediate-member/spec';

export type { MemberAuthority } from '../core/flows/remediate-member-flow';

/** Builds the handler over member I/O (the workflow is handlers/core/flows/remediate-member-flow.ts). */
export function createMemberHandler(io: MemberIo, authority: MemberAuthority, write?: WriteLine) {
  return createMemberFlow(io, authority, isSupported, write);
}

/**
 * Builds the handler from the environment: `NAME_PREFIX` (the inventory's `namePrefix`), from which
 * every member role name derives (config/naming.ts); `MEMBER_REQUEST_KEY_ARN`, the KMS HMAC key execute
 * requests are signed with; `INVENTORY_TABLE`, whose account view (read at run time, rebuilt when a
 * deploy changes it) names the accounts requests may name. Every problem is reported at once.
 * @throws ConfigurationError
 */
export function handlerFromEnvironment(env: Readonly<Record<string, string | undefined>>) {
  const settings = readRemediateMemberSettings(env);
  const io = makeLocalMemberIo({ namePrefix: settings.namePrefix });
  const verifyMac = makeRequestVerifier({ keyId: settings.memberRequestKeyArn });
  const inventories = makeInventorySource({ client: new DynamoDBClient({}), tableName: settings.inventoryTable });
  return rebuiltPerInventory(inventories, (inventory) =>
    createMemberHandler(io, {
      accountIds: new Set(Object.keys(inventory.accounts)),
      readOnlyAccountIds: new Set(inventory.remediateManagementAccount ? [] : [inventory.managementAccountId]),
      verifyMac,
      now: () => new Date(),
    }),
  );
}

/** The Lambda handler, built on first invocation (so tests can import this module without an environment). */
export const handler: (input: unknown) => Promise<MemberResponse> = builtOnFirstCall(() =>
  handlerFromEnvironment(process.env),
);
