import {
  type AccessKeysState,
  deactivateAccessKey as action,
} from '../../../../../handlers/core/remediation/actions/deactivate-access-key';
import { CTX, loadRemediationEvent } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const KEY = 'AKIAQRSTUVWXYZQRSTXY';
const keys = (status: string): AccessKeysState => ({
  userExists: true,
  keys: [
    { AccessKeyId: 'AKIAOLDKEYOLDKEY0001', Status: 'Active' },
    { AccessKeyId: KEY, Status: status },
  ],
});
const target = () => targetOrFail(action.target(loadRemediationEvent('iam-create-access-key-other-user'), CTX));

describe('deactivate-access-key', () => {
  it('targets the key the event created', () => {
    expect(target()).toMatchObject({ details: { userName: 'alice', accessKeyId: KEY }, region: 'us-east-1' });
    expect(action.stateReads(target())).toEqual([
      { service: 'iam', operation: 'ListAccessKeys', input: { UserName: 'alice' }, region: 'us-east-1' },
    ]);
  });

  it.each([
    ['another event', (e: any) => (e.detail.eventName = 'DeleteAccessKey'), /creates no access key/],
    ['no key id (ambiguous)', (e: any) => (e.detail.responseElements = null), /not guessing/],
    [
      'no user',
      (e: any) => {
        delete e.detail.requestParameters.userName;
        delete e.detail.responseElements.accessKey.userName;
      },
      /names no user/,
    ],
  ])('refuses an event with %s', (_case, change, reason) => {
    const event = loadRemediationEvent('iam-create-access-key-other-user');
    change(event);

    expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(reason) });
  });

  it('deactivates exactly that key, never deletes it, and leaves the other keys alone', () => {
    const plan = actOrFail(action.plan(target(), keys('Active')));

    expect(plan.calls).toEqual([
      {
        service: 'iam',
        operation: 'UpdateAccessKey',
        input: { UserName: 'alice', AccessKeyId: KEY, Status: 'Inactive' },
        region: 'us-east-1',
      },
    ]);
  });

  it('is already compliant when the key is inactive or gone (a second run writes nothing)', () => {
    expect(action.plan(target(), keys('Inactive'))).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(target(), { userExists: true, keys: [] })).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(target(), { userExists: false, keys: [] })).toMatchObject({ kind: 'already-compliant' });
  });

  it('verifies and undoes (sets the key active again)', () => {
    const plan = actOrFail(action.plan(target(), keys('Active')));

    expect(action.verify(target(), keys('Inactive'))).toMatchObject({ fixed: true });
    expect(action.verify(target(), keys('Active'))).toMatchObject({ fixed: false });
    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 'iam',
        operation: 'UpdateAccessKey',
        input: { UserName: 'alice', AccessKeyId: KEY, Status: 'Active' },
        region: 'us-east-1',
      },
    ]);
  });
});
