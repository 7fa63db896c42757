/**
 * GuardDuty findings through triage (issue #13, instance-role credentials used from outside AWS). GuardDuty
 * publishes findings as `GuardDuty Finding` events whose detail is the GuardDuty `Finding` object, not a
 * CloudTrail record. Rather than teach every step of triage (loop guard, resources, alert facts, dedupe keys,
 * formats) a second event shape, triage reads a finding through a CloudTrail-shaped view: the original detail
 * stays as it is (the central pattern matches `detail.type`) and the fields triage reads are added from the
 * finding:
 *
 * - `eventSource` `guardduty.amazonaws.com`, `eventName` the finding type (what), `awsRegion` and
 *   `recipientAccountId` the finding's region and account (where);
 * - `userIdentity` the principal of the access key the finding names (who): type, principal id, access key id,
 *   and the role (or user) ARN built from `resource.accessKeyDetails.userName`;
 * - `sourceIPAddress` the remote IP GuardDuty saw; `requestParameters` the title, severity, API, instance and
 *   remote organisation, so the alert shows them;
 * - `eventID` = finding id + `updatedAt`, `eventTime` = `updatedAt`. GuardDuty re-publishes an updated finding
 *   under the same id (its `service.count` grows) every 6 hours by default (15 minutes or 1 hour if configured).
 *   Each update means the credentials were used again, so each update is a new alert (id + updatedAt is the
 *   dedupe key: a redelivery of one update is a duplicate, a new update is not); the resource repeat key (the
 *   instance) folds updates that arrive within the repeat window into the first alert.
 *
 * Fail open on detection: a finding without `accessKeyDetails` or `updatedAt` still gets a view (who is
 * unknown, the time is the EventBridge `time`), and triage notes what it could not read. Pure.
 */
import type { CloudTrailEventBridgeEvent } from '../../rules/predicates';
import { GUARDDUTY_FINDING, GUARDDUTY_SOURCE } from '../../rules/types';
import { isRecord } from './lambda-io';

/** Whether an EventBridge event is a GuardDuty finding (by source and detail-type; the envelope checks the rest). */
export function isGuardDutyFinding(event: { readonly source?: unknown; readonly 'detail-type'?: unknown }): boolean {
  return event.source === GUARDDUTY_SOURCE && event['detail-type'] === GUARDDUTY_FINDING;
}

const str = (v: unknown, max = 256): string | undefined =>
  typeof v === 'string' && v !== '' ? v.slice(0, max) : undefined;
const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});

/** `2025-05-07T10:12:09.123Z` → `20250507T101209123Z`: usable in an event id. */
const compactTime = (t: string): string => t.replace(/[^0-9A-Za-z]/g, '');

/**
 * The CloudTrail-shaped view of a GuardDuty finding event (see the module comment); any other event is
 * returned unchanged, so triage may call this on every message.
 */
export function findingView(event: CloudTrailEventBridgeEvent): CloudTrailEventBridgeEvent {
  if (!isGuardDutyFinding(event)) return event;
  const d = rec(event.detail);
  const resource = rec(d['resource']);
  const key = rec(resource['accessKeyDetails']);
  const instance = rec(resource['instanceDetails']);
  const action = rec(rec(d['service'])['action']);
  const apiCall = rec(action['awsApiCallAction']);
  const remote = rec(apiCall['remoteIpDetails']);
  const account = str(d['accountId'], 12) ?? event.account;
  const region = str(d['region'], 32) ?? event.region;
  const updatedAt = str(d['updatedAt'], 40) ?? event.time;
  const findingId = str(d['id'], 64) ?? event.id;
  const userType = str(key['userType'], 64);
  const userName = str(key['userName']);
  const principalArn =
    userName === undefined
      ? undefined
      : userType === 'IAMUser'
        ? `arn:aws:iam::${account}:user/${userName}`
        : userType === 'Root'
          ? `arn:aws:iam::${account}:root`
          : `arn:aws:iam::${account}:role/${userName}`;
  const userIdentity = isRecord(d['resource'])
    ? {
        type: userType ?? 'Unknown',
        ...opt('principalId', str(key['principalId'])),
        ...opt('accessKeyId', str(key['accessKeyId'], 128)),
        ...opt('arn', principalArn),
        ...opt('userName', userName),
      }
    : undefined;
  const instanceId = str(instance['instanceId'], 64);
  const parameters = {
    ...opt('findingId', str(d['id'], 64)),
    ...opt('findingType', str(d['type'])),
    ...opt('title', str(d['title'], 512)),
    ...(typeof d['severity'] === 'number' ? { severity: d['severity'] } : {}),
    ...opt('findingArn', str(d['arn'], 512)),
    ...opt('api', str(apiCall['api'])),
    ...opt('serviceName', str(apiCall['serviceName'])),
    ...opt('remoteOrganization', str(rec(remote['organization'])['asnOrg'])),
    ...opt('remoteCountry', str(rec(remote['country'])['countryName'])),
    ...opt('instanceId', instanceId),
    ...(typeof rec(d['service'])['count'] === 'number' ? { count: rec(d['service'])['count'] } : {}),
  };
  const view: Record<string, unknown> = {
    ...d,
    eventSource: 'guardduty.amazonaws.com',
    eventName: str(d['type']) ?? 'GuardDuty finding',
    eventTime: updatedAt,
    eventID: `${findingId}-${compactTime(updatedAt)}`.slice(0, 128),
    awsRegion: region,
    recipientAccountId: account,
    requestParameters: parameters,
    ...opt('sourceIPAddress', str(rec(remote)['ipAddressV4'], 64)),
    ...opt('userAgent', str(apiCall['userAgent'], 512)),
    // CloudTrail's resource list: the instance the credentials belong to (the repeat key, and its owner tags).
    resources: instanceId ? [{ ARN: `arn:aws:ec2:${region}:${account}:instance/${instanceId}` }] : [],
  };
  if (userIdentity) view['userIdentity'] = userIdentity;
  else delete view['userIdentity'];
  return { ...event, detail: view as CloudTrailEventBridgeEvent['detail'] };
}

function opt(key: string, value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { [key]: value };
}
