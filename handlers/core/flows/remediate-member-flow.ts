/**
 * The remediate-member workflow: checks one request from the remediate function strictly (shape, account,
 * MAC, the calls the registry declares), then makes exactly that read or those calls through the member
 * I/O port and answers `{ok: true, result}` or a typed `{ok: false, error}`. It decides nothing.
 * handlers/entrypoints/remediate-member.ts builds the adapters; see its header for the contract.
 */
import { consoleWrite, makeJsonLogger, type WriteLine } from '../lambda-io';
import {
  authorizeMemberRequest,
  type MemberIo,
  type MemberRequest,
  type MemberRequestAuthority,
  type MemberResponse,
  parseMemberRequest,
  serializeMemberError,
} from '../remediation/member-contract';
import type { PlannedCall } from '../remediation/types';

/** What the handler checks requests with (the clock is a function: one reading per request). */
export type MemberAuthority = Omit<MemberRequestAuthority, 'now'> & { readonly now: () => Date };

/** Which calls the executor can make (handlers/adapters/remediation/execute.ts isSupported). */
export type SupportedCall = (call: Pick<PlannedCall, 'service' | 'operation'>) => boolean;

/** Builds the handler over member I/O (real adapters in Lambda, fakes or mocked clients in tests). */
export function createMemberFlow(
  io: MemberIo,
  authority: MemberAuthority,
  isSupported: SupportedCall,
  write: WriteLine = consoleWrite,
) {
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
