/**
 * Errors across the member boundary: remediate-member serializes what a member-account call threw (the
 * typed error, its SDK cause, which call), remediate rebuilds an equivalent error from it.
 */
import {
  MemberRequestError,
  type RemediationCallDetails,
  RemediationCallError,
  RemediationStateError,
} from '../../errors';
import { isRecord as isObject } from '../../../rules/json';

type Obj = Record<string, unknown>;

/** A typed error as data. `cause` keeps the AWS error's name and message for the logs. */
export type SerializedMemberError =
  | {
      readonly name: 'RemediationCallError';
      readonly message: string;
      readonly details: RemediationCallDetails & { readonly index: number; readonly completed: readonly string[] };
      readonly cause?: SerializedCause;
    }
  | {
      readonly name: 'RemediationStateError';
      readonly message: string;
      readonly details: RemediationCallDetails;
      readonly cause?: SerializedCause;
    }
  | { readonly name: 'MemberRequestError'; readonly message: string };

/** Name and message of the error a typed error wraps. */
export interface SerializedCause {
  readonly name: string;
  readonly message: string;
}

const causeOf = (err: Error): SerializedCause | undefined => {
  const c = err.cause as { name?: unknown; message?: unknown } | undefined;
  if (typeof c !== 'object' || c === null) return undefined;
  return { name: typeof c.name === 'string' ? c.name : 'Error', message: String(c.message ?? '') };
};

/** A typed error as data, or undefined for any other error (it stays an unhandled failure). */
export function serializeMemberError(err: unknown): SerializedMemberError | undefined {
  if (err instanceof RemediationCallError) {
    const cause = causeOf(err);
    const { accountId, region, service, operation, code, permanent, index, completed } = err;
    return {
      name: 'RemediationCallError',
      message: err.message,
      details: { accountId, region, service, operation, code, permanent, index, completed: [...completed] },
      ...(cause ? { cause } : {}),
    };
  }
  if (err instanceof RemediationStateError) {
    const cause = causeOf(err);
    const { accountId, region, service, operation, code, permanent } = err;
    return {
      name: 'RemediationStateError',
      message: err.message,
      details: { accountId, region, service, operation, code, permanent },
      ...(cause ? { cause } : {}),
    };
  }
  if (err instanceof MemberRequestError) return { name: 'MemberRequestError', message: err.message };
  return undefined;
}

/** The error a serialized one stands for, with the same class and fields. */
export function deserializeMemberError(e: SerializedMemberError): Error {
  const cause =
    'cause' in e && e.cause ? { cause: Object.assign(new Error(e.cause.message), { name: e.cause.name }) } : {};
  switch (e.name) {
    case 'RemediationCallError':
      return new RemediationCallError(e.message, e.details, cause);
    case 'RemediationStateError':
      return new RemediationStateError(e.message, e.details, cause);
    case 'MemberRequestError':
      return new MemberRequestError(e.message);
  }
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';

function isCallDetails(d: Obj): boolean {
  return (
    ['accountId', 'region', 'service', 'operation', 'code'].every((k) => isString(d[k])) && isBoolean(d['permanent'])
  );
}

export function isSerializedError(e: unknown): e is SerializedMemberError {
  if (!isObject(e) || !isString(e['message'])) return false;
  if (e['cause'] !== undefined && !(isObject(e['cause']) && isString(e['cause']['name']))) return false;
  const d = e['details'];
  switch (e['name']) {
    case 'MemberRequestError':
      return true;
    case 'RemediationStateError':
      return isObject(d) && isCallDetails(d);
    case 'RemediationCallError':
      return (
        isObject(d) &&
        isCallDetails(d) &&
        typeof d['index'] === 'number' &&
        Array.isArray(d['completed']) &&
        d['completed'].every(isString)
      );
    default:
      return false;
  }
}
