/**
 * vigil's heartbeat as triage sees it (issue #11), pure: whether an event that a heartbeat detection's
 * central rule queued is really the heartbeat call of its account, and the coverage record it becomes.
 *
 * Identity is exact: the caller must be an assumed-role session whose issuer is a role of the event's
 * own account with ARN exactly `arn:aws:iam::<account>:role/<prefix>-heartbeat` (no IAM path), and the
 * call must be the one the schedule makes: `ssm:PutParameter` of `/<prefix>/heartbeat` (regional path)
 * or `iam:TagRole` of the heartbeat role itself (global path, recorded in us-east-1). Names come from the
 * inventory's prefix (config/naming.ts). Anything else that looks like a heartbeat is not one: triage
 * alerts it as `vigil-heartbeat-tampered`.
 */
import { heartbeatParameterName, heartbeatRoleName, roleArn } from '../../config/naming';
import type { CloudTrailEventBridgeEvent } from '../../rules/predicates';
import type { HeartbeatPath, HeartbeatRecord } from './coverage';
import { isRecord } from './lambda-io';

/** A heartbeat recognised by triage: the coverage record minus its arrival time, and the CloudTrail event id. */
export interface HeartbeatCall extends Omit<HeartbeatRecord, 'arrivedAt'> {
  readonly eventId: string;
}

/** Why an event is not a heartbeat, for the tamper alert's note; undefined when it is one. */
export type HeartbeatCheck =
  | { readonly ok: true; readonly call: HeartbeatCall }
  | { readonly ok: false; readonly why: string };

/**
 * Checks a heartbeat-looking event against the exact heartbeat role and call of its account.
 * @param namePrefix - the inventory's `namePrefix`
 */
export function checkHeartbeat(event: CloudTrailEventBridgeEvent, namePrefix: string): HeartbeatCheck {
  const fail = (why: string): HeartbeatCheck => ({ ok: false, why });
  const d = event.detail;
  const role = heartbeatRoleName({ namePrefix });
  const expectedArn = roleArn(event.account, role);
  const who = d.userIdentity;
  if (!isRecord(who) || who['type'] !== 'AssumedRole')
    return fail(`the caller is not an assumed role (expected ${expectedArn})`);
  const context = who['sessionContext'];
  const issuer = isRecord(context) ? context['sessionIssuer'] : undefined;
  const arn = isRecord(issuer) ? issuer['arn'] : undefined;
  if (!isRecord(issuer) || issuer['type'] !== 'Role' || arn !== expectedArn || issuer['accountId'] !== event.account) {
    return fail(`the caller's session issuer is ${typeof arn === 'string' ? arn : 'unknown'}, not ${expectedArn}`);
  }
  if (d.recipientAccountId !== undefined && d.recipientAccountId !== event.account) {
    return fail(`the event's recipient account ${String(d.recipientAccountId)} is not its account ${event.account}`);
  }
  const params = isRecord(d.requestParameters) ? d.requestParameters : {};
  let path: HeartbeatPath;
  if (d.eventSource === 'ssm.amazonaws.com' && d.eventName === 'PutParameter') {
    if (params['name'] !== heartbeatParameterName({ namePrefix })) return fail('PutParameter of another parameter');
    path = 'regional';
  } else if (d.eventSource === 'iam.amazonaws.com' && d.eventName === 'TagRole') {
    if (params['roleName'] !== role) return fail('TagRole of another role');
    path = 'global';
  } else {
    return fail(`${String(d.eventName)} is not a heartbeat call (PutParameter of the parameter, TagRole of the role)`);
  }
  const region = typeof d.awsRegion === 'string' ? d.awsRegion : event.region;
  const eventTime = d.eventTime;
  const eventId = d.eventID;
  if (typeof eventTime !== 'string' || !Number.isFinite(Date.parse(eventTime))) return fail('no readable eventTime');
  if (typeof eventId !== 'string' || eventId === '') return fail('no eventID');
  return { ok: true, call: { accountId: event.account, region, path, eventTime, eventId } };
}

/** The heartbeat's latency (arrival − CloudTrail eventTime) in ms, never negative (clock skew between services). */
export function heartbeatLatencyMs(call: Pick<HeartbeatCall, 'eventTime'>, arrivedAtMs: number): number {
  return Math.max(0, arrivedAtMs - Date.parse(call.eventTime));
}
