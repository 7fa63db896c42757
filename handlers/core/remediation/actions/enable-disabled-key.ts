/**
 * enable-disabled-key: after DisableKey, enables the customer managed key again with `EnableKey`, but only
 * when it was enabled before the event.
 *
 * KMS keeps no record of a key's previous state, so the state read also asks CloudTrail event history
 * (LookupEvents by the key's ARN, the 90 days up to the event) and the shared previous-value reader
 * (../previous-value.ts) takes the newest decisive event before DisableKey:
 *   - EnableKey, a successful cryptographic operation (only an Enabled key performs them), CreateKey of an
 *     enabled key: Enabled → act;
 *   - DisableKey, CancelKeyDeletion (leaves the key Disabled), a call refused with DisabledException: it was
 *     already Disabled → refuse (enabling would loosen what the owner chose);
 *   - nothing decisive, an unreadable record, or history cut short by the page cap: unknown → refuse.
 * A key pending deletion is cancel-key-deletion's business (refused here); AWS managed keys are refused.
 * Already Enabled (someone fixed it, or a redelivery): compliant.
 *
 * Undo disables the key again.
 */
import { KMS_CRYPTO_OPERATIONS } from './cancel-key-deletion';
import { historyLookup, previousValue, type PreviousValue, type Setting, triggerOf } from '../previous-value';
import type { RemediationActionDef, RemediationTarget } from '../types';
import {
  accountOf,
  act,
  call,
  compliant,
  detail,
  eventIdOf,
  eventTimeOf,
  type HistoryPage,
  isObject,
  items,
  parseArn,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  str,
  targetOf,
} from './support';

/** The key now, and its CloudTrail history up to the event. */
export interface DisabledKeyState {
  /** False when DescribeKey answers NotFoundException. */
  readonly exists: boolean;
  readonly keyArn?: string;
  /** DescribeKey `KeyState`. */
  readonly keyState?: string;
  /** `AWS` for AWS managed keys, `CUSTOMER` otherwise. */
  readonly keyManager?: string;
  /** LookupEvents by ResourceName = the key ARN, up to the DisableKey event. */
  readonly history: HistoryPage;
}

const ACTION = 'enable-disabled-key';

/** Whether the key was enabled, as each event of its history tells. */
export const KEY_ENABLED: Setting<boolean> = {
  name: 'the enabled state of the key',
  eventNames: ['EnableKey', 'DisableKey', 'CancelKeyDeletion', 'CreateKey', ...KMS_CRYPTO_OPERATIONS],
  read(record, eventName) {
    const error = str(record['errorCode']);
    if (error === 'DisabledException') return { kind: 'set', value: false };
    if (error !== undefined) return { kind: 'unchanged' };
    if (eventName === 'DisableKey' || eventName === 'CancelKeyDeletion') return { kind: 'set', value: false };
    if (eventName !== 'CreateKey') return { kind: 'set', value: true };
    const response = isObject(record['responseElements']) ? record['responseElements'] : {};
    const metadata = isObject(response['keyMetadata']) ? response['keyMetadata'] : undefined;
    if (!metadata) return { kind: 'unreadable', why: 'CreateKey record without key metadata' };
    return { kind: 'set', value: metadata['enabled'] === true || metadata['keyState'] === 'Enabled' };
  },
};

/** What the key was before the DisableKey event. */
export const enabledBefore = (target: RemediationTarget, history: HistoryPage): PreviousValue<boolean> =>
  previousValue(KEY_ENABLED, triggerOf(target), history);

/** The key named by the event: the record's resource ARN, else the request's key id. */
const keyOf = (event: Parameters<RemediationActionDef['target']>[0]): string | undefined => {
  const fromResources = items(event.detail['resources'])
    .map((r) => str(r['ARN']))
    .find((arn) => arn !== undefined && parseArn(arn)?.service === 'kms');
  return fromResources ?? str(requestOf(event)['keyId']);
};

export const enableDisabledKey: RemediationActionDef<DisabledKeyState> = {
  id: ACTION,
  title: 'Enable a KMS key that was disabled, when it was enabled before',
  iamActions: ['kms:EnableKey'],
  readIamActions: ['kms:DescribeKey', 'cloudtrail:LookupEvents'],
  undoIamActions: ['kms:DisableKey'],

  target(event) {
    if (event.detail.eventName !== 'DisableKey') return refuse(`${event.detail.eventName} does not disable a key`);
    const keyId = keyOf(event);
    if (!keyId) return refuse('DisableKey event names no key');
    const arn = parseArn(keyId);
    if (arn && arn.account !== accountOf(event)) {
      return refuse(`key ${keyId} belongs to account ${arn.account}, not ${accountOf(event)}`);
    }
    return targetOf(ACTION, event, arn?.region || regionOf(event), keyId, {
      keyId,
      eventId: eventIdOf(event),
      eventTime: eventTimeOf(event),
    });
  },

  stateReads(target) {
    const keyId = detail(target, 'keyId');
    const trigger = triggerOf(target);
    return [call('kms', 'DescribeKey', { KeyId: keyId }, target.region), historyLookup(keyId, trigger, target.region)];
  },

  plan(target, state) {
    const keyId = detail(target, 'keyId');
    if (!state.exists || !state.keyArn) return refusePlan(target, `key ${keyId} does not exist`);
    if (state.keyManager === 'AWS') return refusePlan(target, `${state.keyArn} is an AWS managed key`);
    if (state.keyState === 'Enabled') return compliant(target, `${state.keyArn} is Enabled`);
    if (state.keyState !== 'Disabled') {
      return refusePlan(target, `${state.keyArn} is ${state.keyState}, not Disabled; enabling it is not this action's`);
    }
    const before = enabledBefore(target, state.history);
    if (before.kind === 'unknown') {
      return refusePlan(target, `whether ${state.keyArn} was enabled before is unknown: ${before.reason}`);
    }
    if (!before.value) {
      return refusePlan(target, `${state.keyArn} was already Disabled before the event (${before.evidence})`);
    }
    return act(
      target,
      `enable ${state.keyArn} again (it was Enabled: ${before.evidence})`,
      [call('kms', 'EnableKey', { KeyId: state.keyArn }, target.region)],
      { keyArn: state.keyArn, region: target.region, keyState: state.keyState, evidence: before.evidence },
    );
  },

  verify(target, stateAfter) {
    const key = stateAfter.keyArn ?? detail(target, 'keyId');
    return stateAfter.exists && stateAfter.keyState === 'Enabled'
      ? { fixed: true, detail: `${key} is Enabled` }
      : { fixed: false, detail: `${key} is ${stateAfter.exists ? stateAfter.keyState : 'gone'}` };
  },

  undo(snapshot) {
    return [call('kms', 'DisableKey', { KeyId: snapshot['keyArn'] }, String(snapshot['region']))];
  },
};
