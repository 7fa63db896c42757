import {
  removeForeignDbSnapshotAccess as db,
  removeForeignLaunchPermissions as ami,
  removeForeignSnapshotPermissions as ebs,
} from '../../../../../handlers/core/remediation/actions/remove-foreign-shares';
import type { RemediationActionDef } from '../../../../../handlers/core/remediation/types';
import { CTX, loadRemediationEvent, type MutableEvent } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const targetOf = (def: RemediationActionDef, fixture: string, change: (e: MutableEvent) => void = () => undefined) => {
  const event = loadRemediationEvent(fixture);
  change(event);
  return targetOrFail(def.target(event, CTX));
};
const params = (e: MutableEvent) => e.detail.requestParameters as Record<string, unknown>;

describe('remove-foreign-launch-permissions', () => {
  const target = () => targetOf(ami, 'ec2-modify-image-attribute');

  it('removes public and foreign launch permissions the event added, keeping the organization', () => {
    expect(target()).toMatchObject({
      resourceId: 'ami-0a1b2c3d4e5f67890',
      details: { grants: ['all', '999988887777'] },
    });
    expect(ami.stateReads(target())).toEqual([
      {
        service: 'ec2',
        operation: 'DescribeImageAttribute',
        input: { ImageId: 'ami-0a1b2c3d4e5f67890', Attribute: 'launchPermission' },
        region: 'eu-west-1',
      },
    ]);
    const plan = actOrFail(ami.plan(target(), { exists: true, grants: ['all', '999988887777', '333333333333'] }));
    expect(plan.calls).toEqual([
      {
        service: 'ec2',
        operation: 'ModifyImageAttribute',
        input: {
          ImageId: 'ami-0a1b2c3d4e5f67890',
          LaunchPermission: { Remove: [{ Group: 'all' }, { UserId: '999988887777' }] },
        },
        region: 'eu-west-1',
      },
    ]);
    expect(plan.summary).toBe('stop sharing AMI ami-0a1b2c3d4e5f67890 with everyone (public), 999988887777');
    expect(ami.undo(stored(plan.snapshot))).toEqual([
      {
        service: 'ec2',
        operation: 'ModifyImageAttribute',
        input: {
          ImageId: 'ami-0a1b2c3d4e5f67890',
          LaunchPermission: { Add: [{ Group: 'all' }, { UserId: '999988887777' }] },
        },
        region: 'eu-west-1',
      },
    ]);
  });

  it('removes a foreign organization by ARN', () => {
    const org = 'arn:aws:organizations::999988887777:organization/o-zz9y8x7w6v';
    const t = targetOf(ami, 'ec2-modify-image-attribute', (e) => {
      params(e)['launchPermission'] = { add: { items: [{ organizationArn: org }] } };
    });
    expect(actOrFail(ami.plan(t, { exists: true, grants: [org] })).calls[0]?.input).toEqual({
      ImageId: 'ami-0a1b2c3d4e5f67890',
      LaunchPermission: { Remove: [{ OrganizationArn: org }] },
    });
  });

  it.each([
    ['another event', (e: MutableEvent) => (e.detail.eventName = 'ResetImageAttribute'), /does not share/],
    ['no image', (e: MutableEvent) => delete params(e)['imageId'], /names no AMI/],
    [
      'only organization accounts',
      (e: MutableEvent) => (params(e)['launchPermission'] = { add: { items: [{ userId: '333333333333' }] } }),
      /was not made public or shared outside/,
    ],
  ])('refuses %s', (_case, change, reason) => {
    const event = loadRemediationEvent('ec2-modify-image-attribute');
    change(event);
    expect(ami.target(event, CTX)).toEqual({ refuse: expect.stringMatching(reason) });
    expect(ami.target(loadRemediationEvent('ec2-modify-image-attribute'), { ...CTX, organization: undefined })).toEqual(
      {
        refuse: expect.stringMatching(/not known/),
      },
    );
  });

  it('is compliant when the grants or the image are gone, and verifies', () => {
    expect(ami.plan(target(), { exists: true, grants: ['333333333333'] })).toMatchObject({ kind: 'already-compliant' });
    expect(ami.plan(target(), { exists: false, grants: [] })).toMatchObject({ kind: 'already-compliant' });
    expect(ami.verify(target(), { exists: true, grants: [] })).toMatchObject({ fixed: true });
    expect(ami.verify(target(), { exists: false, grants: [] })).toMatchObject({ fixed: true });
    expect(ami.verify(target(), { exists: true, grants: ['all'] })).toEqual({
      fixed: false,
      detail: 'ami-0a1b2c3d4e5f67890 is still shared with all',
    });
  });
});

describe('remove-foreign-snapshot-permissions', () => {
  const target = () => targetOf(ebs, 'ec2-modify-snapshot-attribute');

  it('removes only the foreign account of a snapshot shared with two', () => {
    expect(target().details['grants']).toEqual(['999988887777']);
    expect(ebs.stateReads(target())[0]?.input).toEqual({
      SnapshotId: 'snap-0123456789abcdef0',
      Attribute: 'createVolumePermission',
    });
    const plan = actOrFail(ebs.plan(target(), { exists: true, grants: ['444444444444', '999988887777'] }));
    expect(plan.calls[0]).toEqual({
      service: 'ec2',
      operation: 'ModifySnapshotAttribute',
      input: { SnapshotId: 'snap-0123456789abcdef0', CreateVolumePermission: { Remove: [{ UserId: '999988887777' }] } },
      region: 'eu-west-1',
    });
    expect(ebs.undo(stored(plan.snapshot))[0]?.input).toEqual({
      SnapshotId: 'snap-0123456789abcdef0',
      CreateVolumePermission: { Add: [{ UserId: '999988887777' }] },
    });
  });

  it('refuses a ModifySnapshotAttribute of another attribute', () => {
    const event = loadRemediationEvent('ec2-modify-snapshot-attribute');
    delete params(event)['createVolumePermission'];
    expect(ebs.target(event, CTX)).toEqual({ refuse: expect.stringMatching(/shares another attribute/) });
  });
});

describe('remove-foreign-db-snapshot-access', () => {
  it('removes all and foreign ids from a DB snapshot', () => {
    const target = targetOf(db, 'rds-modify-db-snapshot-attribute');
    expect(target.details).toMatchObject({ kind: 'DB snapshot', grants: ['all', '999988887777'] });
    expect(db.stateReads(target)).toEqual([
      {
        service: 'rds',
        operation: 'DescribeDBSnapshotAttributes',
        input: { DBSnapshotIdentifier: 'payments-db-2026-11-20' },
        region: 'eu-west-1',
      },
    ]);
    const plan = actOrFail(db.plan(target, { exists: true, grants: ['all', '999988887777'] }));
    expect(plan.calls).toEqual([
      {
        service: 'rds',
        operation: 'ModifyDBSnapshotAttribute',
        input: {
          DBSnapshotIdentifier: 'payments-db-2026-11-20',
          AttributeName: 'restore',
          ValuesToRemove: ['all', '999988887777'],
        },
        region: 'eu-west-1',
      },
    ]);
    expect(db.undo(stored(plan.snapshot))[0]?.input).toEqual({
      DBSnapshotIdentifier: 'payments-db-2026-11-20',
      AttributeName: 'restore',
      ValuesToAdd: ['all', '999988887777'],
    });
  });

  it('removes the foreign id from a cluster snapshot and keeps the organization account', () => {
    const target = targetOf(db, 'rds-modify-cluster-snapshot-attribute');
    expect(db.stateReads(target)[0]?.operation).toBe('DescribeDBClusterSnapshotAttributes');
    const plan = actOrFail(db.plan(target, { exists: true, grants: ['333333333333', '999988887777'] }));
    expect(plan.calls[0]).toMatchObject({
      operation: 'ModifyDBClusterSnapshotAttribute',
      input: { DBClusterSnapshotIdentifier: 'checkout-aurora-2026-11-20', ValuesToRemove: ['999988887777'] },
    });
    expect(db.undo(stored(plan.snapshot))[0]?.operation).toBe('ModifyDBClusterSnapshotAttribute');
  });

  it('refuses another attribute', () => {
    const event = loadRemediationEvent('rds-modify-db-snapshot-attribute');
    params(event)['attributeName'] = 'other';
    expect(db.target(event, CTX)).toEqual({ refuse: expect.stringMatching(/names no DB snapshot/) });
  });
});
