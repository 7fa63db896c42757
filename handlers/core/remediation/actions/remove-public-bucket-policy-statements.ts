/**
 * remove-public-bucket-policy-statements: after PutBucketPolicy made a bucket public, removes exactly the
 * public statements that event added and keeps the rest of the policy. "Public" is the catalog's own test
 * (rules/predicates.ts `isPublicBucketPolicyStatement`: Allow for `*` that no condition pins to known
 * principals, accounts, networks or sources), so what is removed is what the detection alerted on.
 *
 * - The event records the document it put (`requestParameters.bucketPolicy`); its public statements are the
 *   offending items. The current policy is re-read (GetBucketPolicy, with `ExpectedBucketOwner`) and a
 *   current statement is removed only when it is public AND is one of those: equal as JSON (key order
 *   ignored), or carries the same `Sid`. Everything else stays, Deny statements first of all, so the
 *   result never grants more than before.
 * - What remains is put back with PutBucketPolicy (Version and Id kept); when nothing remains, the policy
 *   is deleted (DeleteBucketPolicy) since S3 rejects a policy without statements.
 * - The policy changed since and no longer holds the event's public statements: already compliant (that
 *   change raised its own event). A current policy that does not parse: refuse.
 *
 * PutBucketPolicy replaces the whole document, so a change made between the read and the write would be
 * lost; the verify step re-reads the policy, and the snapshot (the whole previous document) lets undo put
 * it back exactly.
 */
import { isPublicBucketPolicyStatement, type PolicyStatement, parsePolicyDocument } from '../../../../rules/predicates';
import type { RemediationActionDef } from '../types';
import {
  act,
  asArray,
  call,
  compliant,
  detail,
  isObject,
  type Json,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  str,
  targetOf,
} from './support';

/** GetBucketPolicy: the policy text, no policy, or no bucket. */
export type BucketPolicyState =
  | { readonly policy: string }
  | { readonly policy: 'none' }
  | { readonly policy: 'no-such-bucket' };

const ACTION = 'remove-public-bucket-policy-statements';

/** JSON with object keys sorted, so two renderings of one statement compare equal. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const statementsOf = (doc: Json): Json[] => asArray(doc['Statement']).filter(isObject);

/** Whether `s` is one of the event's public statements (same JSON, or same Sid). */
function isFromEvent(s: Json, eventStatements: readonly Json[]): boolean {
  const text = canonicalJson(s);
  const sid = str(s['Sid']);
  return eventStatements.some((e) => canonicalJson(e) === text || (sid !== undefined && str(e['Sid']) === sid));
}

/** The current statements to remove: public, and added by the event. */
const offending = (doc: Json, eventStatements: readonly Json[]): Json[] =>
  statementsOf(doc).filter(
    (s) => isPublicBucketPolicyStatement(s as PolicyStatement) && isFromEvent(s, eventStatements),
  );

const eventStatementsOf = (details: Json): Json[] => asArray(details['publicStatements']).filter(isObject);

const describe = (s: Json, i: number): string => str(s['Sid']) ?? `statement ${i + 1}`;

export const removePublicBucketPolicyStatements: RemediationActionDef<BucketPolicyState> = {
  id: ACTION,
  title: 'Remove the public statements a bucket policy change added, keeping the rest',
  iamActions: ['s3:PutBucketPolicy', 's3:DeleteBucketPolicy'],
  readIamActions: ['s3:GetBucketPolicy'],
  undoIamActions: ['s3:PutBucketPolicy'],

  target(event) {
    if (event.detail.eventName !== 'PutBucketPolicy') {
      return refuse(`${event.detail.eventName} does not put a bucket policy`);
    }
    const request = requestOf(event);
    const bucket = str(request['bucketName']);
    if (!bucket) return refuse('PutBucketPolicy event names no bucket');
    const doc = parsePolicyDocument(request['bucketPolicy']);
    if (!doc) return refuse('the PutBucketPolicy event does not record a readable policy document');
    const publicStatements = statementsOf(doc).filter((s) => isPublicBucketPolicyStatement(s as PolicyStatement));
    if (publicStatements.length === 0) return refuse('the policy the event put has no public statement');
    return targetOf(ACTION, event, regionOf(event), bucket, { bucket, publicStatements });
  },

  stateReads(target) {
    return [
      call(
        's3',
        'GetBucketPolicy',
        { Bucket: detail(target, 'bucket'), ExpectedBucketOwner: target.accountId },
        target.region,
      ),
    ];
  },

  plan(target, state) {
    const bucket = detail(target, 'bucket');
    if (state.policy === 'no-such-bucket') return compliant(target, `bucket ${bucket} no longer exists`);
    if (state.policy === 'none') return compliant(target, `${bucket} has no bucket policy any more`);
    const doc = parsePolicyDocument(state.policy);
    if (!doc) return refusePlan(target, `the current policy of ${bucket} does not parse; not touching it`);
    const remove = offending(doc, eventStatementsOf(target.details));
    if (remove.length === 0) {
      return compliant(target, `the policy of ${bucket} no longer holds the public statements of the event`);
    }
    const removed = new Set(remove);
    const kept = statementsOf(doc).filter((s) => !removed.has(s));
    const names = remove.map(describe).join(', ');
    const owner = { Bucket: bucket, ExpectedBucketOwner: target.accountId };
    const snapshot = { bucket, accountId: target.accountId, region: target.region, previousPolicy: state.policy };
    if (kept.length === 0) {
      return act(
        target,
        `delete the policy of ${bucket}: its only statements (${names}) are public`,
        [call('s3', 'DeleteBucketPolicy', owner, target.region)],
        snapshot,
      );
    }
    const rest = Object.fromEntries(Object.entries(doc).filter(([k]) => k !== 'Statement'));
    return act(
      target,
      `remove the public statement(s) ${names} from the policy of ${bucket}, keeping ${kept.length} other(s)`,
      [
        call(
          's3',
          'PutBucketPolicy',
          { ...owner, Policy: JSON.stringify({ ...rest, Statement: kept }) },
          target.region,
        ),
      ],
      snapshot,
    );
  },

  verify(target, stateAfter) {
    const bucket = detail(target, 'bucket');
    if (stateAfter.policy === 'none' || stateAfter.policy === 'no-such-bucket') {
      return { fixed: true, detail: `${bucket} has no bucket policy` };
    }
    const doc = parsePolicyDocument(stateAfter.policy);
    if (!doc) return { fixed: false, detail: `the policy of ${bucket} does not parse` };
    const left = offending(doc, eventStatementsOf(target.details));
    return left.length === 0
      ? { fixed: true, detail: `no public statement of the event left in the policy of ${bucket}` }
      : { fixed: false, detail: `still public in ${bucket}: ${left.map(describe).join(', ')}` };
  },

  undo(snapshot) {
    return [
      call(
        's3',
        'PutBucketPolicy',
        {
          Bucket: String(snapshot['bucket']),
          ExpectedBucketOwner: String(snapshot['accountId']),
          Policy: String(snapshot['previousPolicy']),
        },
        String(snapshot['region']),
      ),
    ];
  },
};
