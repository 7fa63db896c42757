/**
 * remediate's side of the member hop: {@link MemberIo} over a synchronous Lambda invoke of
 * `<prefix>-remediate-member` (InvocationType `RequestResponse`), so remediate itself never holds
 * member-account credentials nor bundles the member services' SDK clients. One invoke per read or
 * change; the request and response are handlers/core/remediation/member-contract.ts.
 *
 * - Typed errors come back as data (`{ ok: false, error }`) and are thrown again as the same classes
 *   (`RemediationCallError` with `permanent` and `completed`, `RemediationStateError`, `MemberRequestError`).
 * - An unhandled failure of the function (`FunctionError`: timeout, out of memory, an untyped error) is
 *   a transient `MemberInvokeError`: nothing says the next attempt cannot succeed.
 * - Throttling (`TooManyRequestsException` when the member function's reserved concurrency is taken) is
 *   retried by the SDK (retry mode `adaptive`, {@link MEMBER_CLIENT_CONFIG}). A retried invoke may run a
 *   request twice; every read and every remediation call is safe to repeat (execute.ts ALREADY_DONE).
 * - `readTags` keeps the tags reader's promise: it never throws, a failed hop is `unavailable`.
 */
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import {
  deserializeMemberError,
  type MemberExecution,
  type MemberIo,
  type MemberRequest,
  MEMBER_REQUEST_TTL_MS,
  memberRequestMessage,
  parseMemberResponse,
  type UnsignedExecuteRequest,
} from '../../core/remediation/member-contract';
import type { ResourceTagsOutcome } from '../../core/owner';
import { classifySdkError } from '../../core/retry';
import { MemberInvokeError } from '../../errors';

/** SDK settings of the Lambda client: throttled invokes are retried with client-side rate limiting. */
export const MEMBER_CLIENT_CONFIG = { maxAttempts: 4, retryMode: 'adaptive' } as const;

/** Options of {@link makeMemberClient}. */
export interface MemberClientOptions {
  /** Name (or ARN) of the remediate-member function. */
  readonly functionName: string;
  /**
   * Signs an execute request's message (handlers/adapters/remediation/request-mac.ts makeRequestSigner):
   * remediate-member executes nothing without a valid MAC.
   */
  readonly sign: (message: string) => Promise<string>;
  /** @default - `new LambdaClient(MEMBER_CLIENT_CONFIG)` in the Lambda's region */
  readonly client?: LambdaClient;
  /** Clock of the requests' expiry. @default - the system clock */
  readonly now?: () => Date;
}

const describe = (err: unknown): string => {
  const e = err as { name?: unknown; message?: unknown } | null;
  return `${typeof e?.name === 'string' ? e.name : 'Error'}: ${String(e?.message ?? err)}`.slice(0, 300);
};

/** The `errorType: errorMessage` of an unhandled failure's payload, or its first characters. */
function unhandledSummary(text: string): string {
  try {
    const p = JSON.parse(text) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof p.errorMessage === 'string') return `${String(p.errorType ?? 'Error')}: ${p.errorMessage}`.slice(0, 300);
  } catch {
    // Not JSON: show the text itself.
  }
  return text.slice(0, 300);
}

/** Builds the Lambda-invoke {@link MemberIo}. */
export function makeMemberClient(options: MemberClientOptions): MemberIo {
  const client = options.client ?? new LambdaClient(MEMBER_CLIENT_CONFIG);
  const now = options.now ?? (() => new Date());
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  const invoke = async (request: MemberRequest): Promise<unknown> => {
    const { op } = request;
    let out: InvokeCommandOutput;
    try {
      out = await client.send(
        new InvokeCommand({
          FunctionName: options.functionName,
          InvocationType: 'RequestResponse',
          Payload: encoder.encode(JSON.stringify(request)),
        }),
      );
    } catch (err) {
      throw new MemberInvokeError(
        `invoking ${options.functionName} (${op}) failed: ${describe(err)}`,
        { op, permanent: classifySdkError(err as object) === 'permanent' },
        { cause: err },
      );
    }
    const text = out.Payload ? decoder.decode(out.Payload) : '';
    if (out.FunctionError) {
      throw new MemberInvokeError(
        `${options.functionName} (${op}) failed (${out.FunctionError}): ${unhandledSummary(text)}`,
        { op, permanent: false, functionError: out.FunctionError },
      );
    }
    const response = parseMemberResponse(text, op);
    if (!response.ok) throw deserializeMemberError(response.error);
    return response.result;
  };

  return {
    readState: (target) => invoke({ op: 'read-state', target }),
    execute: async ({ accountId, action, calls, role, dryRun, requestId }) => {
      const unsigned: UnsignedExecuteRequest = {
        op: 'execute',
        accountId,
        action,
        calls,
        role,
        ...(dryRun === undefined ? {} : { dryRun }),
        requestId,
        expiresAt: new Date(now().getTime() + MEMBER_REQUEST_TTL_MS).toISOString(),
      };
      let mac: string;
      try {
        mac = await options.sign(memberRequestMessage(unsigned));
      } catch (err) {
        // Nothing was sent: the failure is the signing key's (KMS throttling, a changed key policy).
        throw new MemberInvokeError(
          `signing the execute request for ${options.functionName} failed: ${describe(err)}`,
          { op: 'execute', permanent: classifySdkError(err as object) === 'permanent' },
          { cause: err },
        );
      }
      return (await invoke({ ...unsigned, mac })) as MemberExecution;
    },
    readTags: async (lookup) => {
      try {
        return (await invoke({ op: 'read-tags', lookup })) as ResourceTagsOutcome;
      } catch (err) {
        return { status: 'unavailable', reason: describe(err) };
      }
    },
  };
}
