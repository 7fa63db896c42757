/**
 * Remediate-member Lambda. Trigger: a synchronous invoke (`RequestResponse`) from the remediate
 * function only (IAM: remediate's `lambda:InvokeFunction` on this function), with one request of
 * handlers/core/remediation/member-contract.ts: `{op: 'read-state', target}`, `{op: 'execute',
 * accountId, action, calls, role: 'remediation' | 'undo', dryRun?, requestId, expiresAt, mac}` or
 * `{op: 'read-tags', lookup}`. Effect: checks the request strictly (anything else is refused, nothing is
 * sent): its account must be in the bundled inventory, and an execute request must carry a valid,
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
import { readFileSync } from 'node:fs';
import { isSupported } from '../adapters/remediation/execute';
import { makeLocalMemberIo } from '../adapters/remediation/member-io';
import { makeRequestVerifier } from '../adapters/remediation/request-mac';
import { parseHandlerInventory } from '../core/inventory-view';
import { consoleWrite, makeJsonLogger, type WriteLine } from '../core/lambda-io';
import {
  authorizeMemberRequest,
  type MemberIo,
  type MemberRequestAuthority,
  type MemberRequest,
  type MemberResponse,
  parseMemberRequest,
  serializeMemberError,
} from '../core/remediation/member-contract';
import { ConfigurationError } from '../errors';
import { readRemediateMemberSettings } from '../functions/remediate-member/spec';

/** What the handler checks requests with (the clock is a function: one reading per request). */
export type MemberAuthority = Omit<MemberRequestAuthority, 'now'> & { readonly now: () => Date };

/** Builds the handler over member I/O (real adapters in Lambda, fakes or mocked clients in tests). */
export function createMemberHandler(io: MemberIo, authority: MemberAuthority, write: WriteLine = consoleWrite) {
  const { log } = makeJsonLogger('vigil-remediate-member', write);
  return async (input: unknown): Promise<MemberResponse> => {
    let request: MemberRequest;
    try {
      request = parseMemberRequest(input, isSupported);
      await authorizeMemberRequest(request, { ...authority, now: authority.now() });
    } catch (err) {
      const error = serializeMemberError(err);
      if (!error) throw err;
      log('error', 'request refused', { reason: error.message });
      return { ok: false, error };
    }
    const where = describeRequest(request);
    try {
      const result = await perform(io, request);
      log('info', `${request.op} done`, where);
      return { ok: true, result };
    } catch (err) {
      const error = serializeMemberError(err);
      log('error', `${request.op} failed`, { ...where, error: describeError(err) });
      // Anything untyped stays an unhandled failure: remediate treats it as transient.
      if (!error) throw err;
      return { ok: false, error };
    }
  };
}

/** `Name: message`, short (orchestrate.ts describeError, not imported: it would bundle the orchestrator). */
function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string } | null;
  const text = e && typeof e === 'object' ? `${e.name ?? 'Error'}: ${e.message ?? ''}` : String(err);
  return text.length > 500 ? `${text.slice(0, 499)}…` : text;
}

function perform(io: MemberIo, request: MemberRequest): Promise<unknown> {
  switch (request.op) {
    case 'read-state':
      return io.readState(request.target);
    case 'execute':
      return io.execute(request);
    case 'read-tags':
      return io.readTags(request.lookup);
  }
}

/** Log fields: where the request goes and what it touches, never the call inputs' whole payloads. */
function describeRequest(request: MemberRequest): Record<string, unknown> {
  switch (request.op) {
    case 'read-state':
      return {
        action: request.target.action,
        accountId: request.target.accountId,
        region: request.target.region,
        resourceId: request.target.resourceId,
      };
    case 'execute':
      return {
        accountId: request.accountId,
        action: request.action,
        requestId: request.requestId,
        role: request.role,
        dryRun: request.dryRun ?? false,
        calls: request.calls.map((c) => `${c.service}:${c.operation}@${c.region}`),
      };
    case 'read-tags':
      return { accountId: request.lookup.accountId, region: request.lookup.region, arns: request.lookup.arns.length };
  }
}

/**
 * Builds the handler from the environment: `NAME_PREFIX` (the inventory's `namePrefix`), from which
 * every member role name derives (config/naming.ts); `MEMBER_REQUEST_KEY_ARN`, the KMS HMAC key execute
 * requests are signed with; `INVENTORY_FILE` (default `<dir>/inventory.json`, bundled by the security
 * stack), the accounts requests may name. Every problem is reported at once.
 * @throws ConfigurationError
 */
export function handlerFromEnvironment(env: Readonly<Record<string, string | undefined>>, dir: string) {
  const settings = readRemediateMemberSettings(env, dir);
  const inventoryFile = settings.inventoryFile;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(inventoryFile, 'utf8'));
  } catch (err) {
    throw new ConfigurationError(`cannot read ${inventoryFile}: ${(err as Error).message}`);
  }
  const inventory = parseHandlerInventory(raw, inventoryFile);
  return createMemberHandler(makeLocalMemberIo({ namePrefix: settings.namePrefix }), {
    accountIds: new Set(Object.keys(inventory.accounts)),
    readOnlyAccountIds: new Set(inventory.remediateManagementAccount ? [] : [inventory.managementAccountId]),
    verifyMac: makeRequestVerifier({ keyId: settings.memberRequestKeyArn }),
    now: () => new Date(),
  });
}

let built: ReturnType<typeof createMemberHandler> | undefined;

/** The Lambda handler, built on first invocation (so tests can import this module without an environment). */
export const handler = async (input: unknown): Promise<MemberResponse> => {
  built ??= handlerFromEnvironment(process.env, __dirname);
  return built(input);
};
