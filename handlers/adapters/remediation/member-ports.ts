/**
 * The orchestrator's member-account ports (tags, state, execute, undo) over a {@link MemberIo}: the
 * remediate-member function in production, the in-process adapters in tests.
 */
import type { MemberIo } from '../../core/remediation/member-contract';
import type { OrchestratorPorts } from '../../core/remediation/orchestrate';
import type { RemediateDeps } from '../../core/flows/remediate-flow';
import { ConfigurationError } from '../../errors';
import { makeMemberClient } from './member-client';
import { makeRequestSigner } from './request-mac';

/**
 * The member I/O the remediate function uses: `member` when given (tests), otherwise a client of the
 * remediate-member function whose execute requests are signed with the KMS HMAC key.
 * @throws ConfigurationError when neither `member` nor both the function name and the key are given
 */
export function memberIoFor(
  settings: { readonly memberFunctionName?: string; readonly memberRequestKeyArn?: string },
  member?: MemberIo,
): MemberIo {
  if (member) return member;
  const { memberFunctionName, memberRequestKeyArn } = settings;
  if (!memberFunctionName || !memberRequestKeyArn) {
    throw new ConfigurationError(
      'remediate handler configuration: MEMBER_FUNCTION_NAME and MEMBER_REQUEST_KEY_ARN: required ' +
        '(the remediate-member function, which makes every member-account read and change, and the KMS ' +
        'HMAC key its execute requests are signed with)',
    );
  }
  return makeMemberClient({
    functionName: memberFunctionName,
    sign: makeRequestSigner({ keyId: memberRequestKeyArn }),
  });
}

/** Reads and remediation calls through the member remediation role; undo through the approval-only undo role. */
export function memberPorts(
  io: MemberIo,
): Pick<OrchestratorPorts, 'readTags' | 'readState' | 'execute'> & Pick<RemediateDeps, 'undoExecute'> {
  return {
    readTags: async (lookup) => {
      const out = await io.readTags(lookup);
      if (out.status === 'found') return { kind: 'read', tags: out.tags[lookup.arns[0]!] ?? {} };
      if (out.status === 'unavailable') return { kind: 'failed', error: out.reason };
      return { kind: 'not-taggable' };
    },
    readState: (target) => io.readState(target),
    execute: (target, calls, { actionId }) =>
      io.execute({
        accountId: target.accountId,
        action: target.action,
        requestId: actionId,
        calls,
        role: 'remediation',
      }),
    undoExecute: (target, calls, { actionId }) =>
      io.execute({ accountId: target.accountId, action: target.action, requestId: actionId, calls, role: 'undo' }),
  };
}
