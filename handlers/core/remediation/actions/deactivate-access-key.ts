/**
 * deactivate-access-key: after CreateAccessKey made a key for another user (the catalog's
 * `iam-access-key-created-for-other-user`), sets exactly that key (`responseElements.accessKey.accessKeyId`)
 * to Inactive with UpdateAccessKey. Never deletes it: an inactive key can be looked at, and turned back on
 * by undo, whereas a deleted key is gone for good.
 *
 * The user's keys are re-read (ListAccessKeys): the key gone, or already inactive, is compliant. An event
 * without the key id (a failed or truncated record) is refused: the user may have another key, and
 * guessing which one is new would be wrong.
 *
 * Snapshot: user, key and its status before; undo sets it Active again (undo role only).
 */
import type { RemediationActionDef } from '../types';
import {
  act,
  call,
  compliant,
  detail,
  isObject,
  refuse,
  regionOf,
  requestOf,
  responseOf,
  str,
  targetOf,
} from './support';

/** The user's keys now (ListAccessKeys), or the user is gone. */
export interface AccessKeysState {
  readonly userExists: boolean;
  readonly keys: readonly { readonly AccessKeyId: string; readonly Status: string }[];
}

const ACTION = 'deactivate-access-key';

export const deactivateAccessKey: RemediationActionDef<AccessKeysState> = {
  id: ACTION,
  title: 'Deactivate (never delete) an access key created for another user',
  iamActions: ['iam:UpdateAccessKey'],
  readIamActions: ['iam:ListAccessKeys'],
  undoIamActions: ['iam:UpdateAccessKey'],

  target(event) {
    if (event.detail.eventName !== 'CreateAccessKey') return refuse(`${event.detail.eventName} creates no access key`);
    const key = responseOf(event)['accessKey'];
    const userName = str(requestOf(event)['userName']) ?? (isObject(key) ? str(key['userName']) : undefined);
    const accessKeyId = isObject(key) ? str(key['accessKeyId']) : undefined;
    if (!userName) return refuse('CreateAccessKey event names no user');
    if (!accessKeyId) return refuse('CreateAccessKey event does not record the new key id; not guessing which key');
    return targetOf(ACTION, event, regionOf(event), `user/${userName}/${accessKeyId}`, { userName, accessKeyId });
  },

  stateReads(target) {
    return [call('iam', 'ListAccessKeys', { UserName: detail(target, 'userName') }, target.region)];
  },

  plan(target, state) {
    const userName = detail(target, 'userName');
    const keyId = detail(target, 'accessKeyId');
    if (!state.userExists) return compliant(target, `user ${userName} no longer exists`);
    const key = state.keys.find((k) => k.AccessKeyId === keyId);
    if (!key) return compliant(target, `${keyId} of ${userName} no longer exists`);
    if (key.Status !== 'Active') return compliant(target, `${keyId} of ${userName} is already ${key.Status}`);
    return act(
      target,
      `deactivate access key ${keyId} of ${userName}`,
      [call('iam', 'UpdateAccessKey', { UserName: userName, AccessKeyId: keyId, Status: 'Inactive' }, target.region)],
      { userName, accessKeyId: keyId, previousStatus: key.Status, region: target.region },
    );
  },

  verify(target, stateAfter) {
    const keyId = detail(target, 'accessKeyId');
    const key = stateAfter.keys.find((k) => k.AccessKeyId === keyId);
    return stateAfter.userExists && key?.Status === 'Active'
      ? { fixed: false, detail: `${keyId} is still active` }
      : { fixed: true, detail: `${keyId} is ${key?.Status ?? 'gone'}` };
  },

  undo(snapshot) {
    return [
      call(
        'iam',
        'UpdateAccessKey',
        { UserName: snapshot['userName'], AccessKeyId: snapshot['accessKeyId'], Status: 'Active' },
        String(snapshot['region']),
      ),
    ];
  },
};
