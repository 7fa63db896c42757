/**
 * cancel-key-deletion: after ScheduleKeyDeletion, cancels the deletion with `CancelKeyDeletion` while the
 * key is still pending deletion.
 *
 * CancelKeyDeletion leaves the key `Disabled` (KMS API reference, CancelKeyDeletion: "When this operation
 * succeeds, the key state of the KMS key is Disabled. To enable the KMS key, use EnableKey"). Enabling it
 * is what the owner expects only if it was enabled when the deletion was scheduled, and nothing in KMS
 * remembers that: DescribeKey of a key pending deletion says `Enabled: false`. So the state read also
 * asks CloudTrail event history (LookupEvents by the key's ARN, the 90 days up to the event, newest
 * first) and the newest decisive event before ScheduleKeyDeletion says what the key was:
 *   - EnableKey, ImportKeyMaterial, a successful cryptographic operation (only an Enabled key performs
 *     them), CreateKey of an enabled key: Enabled;
 *   - DisableKey, CancelKeyDeletion (leaves Disabled), a call refused with DisabledException: Disabled;
 *   - nothing decisive in the history: unknown.
 * The plan adds `EnableKey` only for Enabled; otherwise the key stays Disabled and the summary says so.
 * The snapshot records that evidence.
 *
 * Undo schedules the deletion again with the original waiting period (the deletion date restarts).
 */
import type { RemediationActionDef, RemediationTarget } from '../types';
import {
  accountOf,
  act,
  call,
  compliant,
  daysBefore,
  detail,
  eventIdOf,
  eventTimeOf,
  HISTORY_DAYS,
  type HistoryPage,
  historyRecord,
  isObject,
  num,
  parseArn,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  responseOf,
  str,
  targetOf,
  timeOf,
} from './support';

/** The key now, and its CloudTrail history up to the event. */
export interface KeyDeletionState {
  /** False when DescribeKey answers NotFoundException. */
  readonly exists: boolean;
  readonly keyArn?: string;
  /** DescribeKey `KeyState`: `PendingDeletion`, `PendingReplicaDeletion`, `Enabled`, `Disabled`, ... */
  readonly keyState?: string;
  /** `AWS` for AWS managed keys, `CUSTOMER` otherwise. */
  readonly keyManager?: string;
  /** LookupEvents by ResourceName = the key, up to the ScheduleKeyDeletion event. */
  readonly history: HistoryPage;
}

/** What the key was when deletion was scheduled, and the event that says so. */
export interface StateBeforeDeletion {
  readonly state: 'Enabled' | 'Disabled' | 'unknown';
  readonly evidence: string;
}

const ACTION = 'cancel-key-deletion';
const PENDING = ['PendingDeletion', 'PendingReplicaDeletion'];

/** KMS operations that succeed only on an Enabled key (KMS developer guide, "Key states"). */
export const KMS_CRYPTO_OPERATIONS: readonly string[] = [
  'Encrypt',
  'Decrypt',
  'ReEncrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'Sign',
  'Verify',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
];
const CRYPTO_OPERATIONS = new Set(KMS_CRYPTO_OPERATIONS);

/** Reads the key's history as the file comment describes. */
export function stateBeforeDeletion(target: RemediationTarget, history: HistoryPage): StateBeforeDeletion {
  const triggerId = detail(target, 'eventId');
  const triggerTime = timeOf(detail(target, 'eventTime'));
  const earlier = history.events
    .filter((e) => e.eventId !== triggerId && timeOf(e.eventTime) < triggerTime)
    .sort((a, b) => timeOf(b.eventTime) - timeOf(a.eventTime));
  for (const e of earlier) {
    const record = historyRecord(e);
    const error = str(record['errorCode']);
    const evidence = `${e.eventName} ${e.eventId} at ${e.eventTime}`;
    if (error === 'DisabledException') return { state: 'Disabled', evidence: `${evidence} failed: key disabled` };
    if (error !== undefined) continue;
    if (e.eventName === 'EnableKey' || e.eventName === 'ImportKeyMaterial' || CRYPTO_OPERATIONS.has(e.eventName)) {
      return { state: 'Enabled', evidence };
    }
    if (e.eventName === 'DisableKey' || e.eventName === 'CancelKeyDeletion') return { state: 'Disabled', evidence };
    if (e.eventName === 'CreateKey') {
      const response = isObject(record['responseElements']) ? record['responseElements'] : {};
      const metadata = isObject(response['keyMetadata']) ? response['keyMetadata'] : {};
      const enabled = metadata['enabled'] === true || metadata['keyState'] === 'Enabled';
      return { state: enabled ? 'Enabled' : 'Disabled', evidence };
    }
  }
  return {
    state: 'unknown',
    evidence: `no EnableKey, DisableKey or use of the key in CloudTrail's ${HISTORY_DAYS}-day history before the event`,
  };
}

export const cancelKeyDeletion: RemediationActionDef<KeyDeletionState> = {
  id: ACTION,
  title: 'Cancel the scheduled deletion of a KMS key',
  iamActions: ['kms:CancelKeyDeletion', 'kms:EnableKey'],
  readIamActions: ['kms:DescribeKey', 'cloudtrail:LookupEvents'],
  undoIamActions: ['kms:ScheduleKeyDeletion'],

  target(event) {
    if (event.detail.eventName !== 'ScheduleKeyDeletion') {
      return refuse(`${event.detail.eventName} does not schedule a key deletion`);
    }
    const keyId = str(responseOf(event)['keyId']) ?? str(requestOf(event)['keyId']);
    if (!keyId) return refuse('ScheduleKeyDeletion event names no key');
    const arn = parseArn(keyId);
    if (arn && arn.account !== accountOf(event)) {
      return refuse(`key ${keyId} belongs to account ${arn.account}, not ${accountOf(event)}`);
    }
    return targetOf(ACTION, event, arn?.region || regionOf(event), keyId, {
      keyId,
      // KMS's default waiting period is 30 days (ScheduleKeyDeletion API reference).
      pendingWindowInDays: num(requestOf(event)['pendingWindowInDays']) ?? 30,
      eventId: eventIdOf(event),
      eventTime: eventTimeOf(event),
    });
  },

  stateReads(target) {
    const keyId = detail(target, 'keyId');
    const eventTime = detail(target, 'eventTime');
    return [
      call('kms', 'DescribeKey', { KeyId: keyId }, target.region),
      call(
        'cloudtrail',
        'LookupEvents',
        {
          LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: keyId }],
          StartTime: daysBefore(eventTime, HISTORY_DAYS),
          EndTime: eventTime,
        },
        target.region,
      ),
    ];
  },

  plan(target, state) {
    const keyId = detail(target, 'keyId');
    if (!state.exists || !state.keyArn) return refusePlan(target, `key ${keyId} does not exist (already deleted?)`);
    if (state.keyManager === 'AWS') return refusePlan(target, `${state.keyArn} is an AWS managed key`);
    if (!PENDING.includes(state.keyState ?? '')) {
      return compliant(target, `${state.keyArn} is ${state.keyState}; its deletion is no longer pending`);
    }
    const before = stateBeforeDeletion(target, state.history);
    const enable = before.state === 'Enabled';
    const calls = [call('kms', 'CancelKeyDeletion', { KeyId: state.keyArn }, target.region)];
    if (enable) calls.push(call('kms', 'EnableKey', { KeyId: state.keyArn }, target.region));
    const rest = enable
      ? `and enable it again (it was Enabled: ${before.evidence})`
      : before.state === 'Disabled'
        ? `and leave it Disabled as it was (${before.evidence})`
        : `and leave it Disabled: its state before the deletion was scheduled is unknown (${before.evidence}); ` +
          'enable it by hand if it was in use';
    return act(target, `cancel the deletion of ${state.keyArn} ${rest}`, calls, {
      keyArn: state.keyArn,
      region: target.region,
      keyState: state.keyState,
      pendingWindowInDays: target.details['pendingWindowInDays'],
      stateBeforeDeletion: before.state,
      evidence: before.evidence,
      enabled: enable,
    });
  },

  verify(target, stateAfter) {
    const key = stateAfter.keyArn ?? detail(target, 'keyId');
    if (!stateAfter.exists) return { fixed: false, detail: `${key} is gone` };
    if (PENDING.includes(stateAfter.keyState ?? ''))
      return { fixed: false, detail: `${key} is still pending deletion` };
    const before = stateBeforeDeletion(target, stateAfter.history);
    if (before.state === 'Enabled' && stateAfter.keyState !== 'Enabled') {
      return { fixed: false, detail: `${key} is ${stateAfter.keyState}, but it was Enabled before` };
    }
    return { fixed: true, detail: `${key} is ${stateAfter.keyState}; deletion cancelled` };
  },

  undo(snapshot) {
    return [
      call(
        'kms',
        'ScheduleKeyDeletion',
        { KeyId: snapshot['keyArn'], PendingWindowInDays: snapshot['pendingWindowInDays'] },
        String(snapshot['region']),
      ),
    ];
  },
};
