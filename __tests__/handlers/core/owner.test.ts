import { findAccount } from '../../../handlers/core/inventory-view';
import { accountOwner, ownerTag, type ResourceTagsOutcome, resolveOwner } from '../../../handlers/core/owner';
import { TRIAGE_VIEW } from '../../fixtures/triage';

const account = (id: string) => findAccount(TRIAGE_VIEW, id)!;
const TRAIL = 'arn:aws:cloudtrail:eu-west-1:110000000006:trail/payments-audit';
const BUCKET = 'arn:aws:s3:::payments-settlement-110000000006';
const found = (tags: Record<string, Record<string, string>>, arns = Object.keys(tags)): ResourceTagsOutcome => ({
  status: 'found',
  tags,
  arns,
});

describe('resolveOwner', () => {
  it("takes the resource's owner tag first", () => {
    const owner = resolveOwner(TRIAGE_VIEW, account('110000000006'), found({ [TRAIL]: { owner: 'audit-team' } }));

    expect(owner).toEqual({ owner: 'audit-team', source: 'resource-tag', detail: `tag owner of ${TRAIL}` });
  });

  it('takes the first resource in priority order that has an owner tag', () => {
    const tags = found({ [TRAIL]: { project: 'x' }, [BUCKET]: { owner: 'settlement-team' } }, [TRAIL, BUCKET]);

    expect(resolveOwner(TRIAGE_VIEW, account('110000000006'), tags).owner).toBe('settlement-team');
  });

  it("falls back to the account's owner tag when the resource has none", () => {
    const owner = resolveOwner(TRIAGE_VIEW, account('110000000006'), found({ [TRAIL]: {} }));

    expect(owner).toEqual({
      owner: 'payments-team',
      source: 'account-tag',
      detail: 'tag owner of account payments-prod',
    });
  });

  it('reads the owner tag in any case', () => {
    expect(resolveOwner(TRIAGE_VIEW, account('110000000007'), { status: 'not-applicable' }).owner).toBe(
      'checkout-team',
    );
  });

  it("walks up to the parent OU's default owner", () => {
    // checkout-dev: no owner tag, OU NonProd has no default, its parent Workloads has one.
    expect(resolveOwner(TRIAGE_VIEW, account('110000000009'), { status: 'not-applicable' })).toEqual({
      owner: 'workloads-team',
      source: 'ou-default',
      detail: 'defaultOwner of OU Workloads (ou-k3m9-w0rk10ad)',
    });
  });

  it("takes the account's own OU default before its parents'", () => {
    expect(resolveOwner(TRIAGE_VIEW, account('110000000003'), { status: 'not-applicable' }).owner).toBe(
      'security-team',
    );
  });

  it("ends with the inventory's default owner", () => {
    expect(resolveOwner(TRIAGE_VIEW, account('110000000011'), { status: 'not-applicable' })).toEqual({
      owner: 'cloud-security',
      source: 'org-default',
      detail: 'defaultOwner of the inventory',
    });
  });

  it('says so when resource tags could not be read', () => {
    const owner = resolveOwner(TRIAGE_VIEW, account('110000000006'), {
      status: 'unavailable',
      reason: 'AccessDenied: not authorized to perform sts:AssumeRole',
    });

    expect(owner).toEqual({
      owner: 'payments-team',
      source: 'account-tag',
      detail: 'tag owner of account payments-prod',
      caveat:
        'resource tags unavailable (AccessDenied: not authorized to perform sts:AssumeRole); owner from the account tag',
    });
  });

  it('names the fallback that was used in the caveat', () => {
    const owner = resolveOwner(TRIAGE_VIEW, account('110000000011'), { status: 'unavailable', reason: 'timed out' });

    expect(owner.caveat).toBe('resource tags unavailable (timed out); owner from the organization default');
  });

  it('ignores an empty or blank owner tag', () => {
    expect(resolveOwner(TRIAGE_VIEW, account('110000000006'), found({ [TRAIL]: { owner: '  ' } })).source).toBe(
      'account-tag',
    );
  });
});

describe('ownerTag', () => {
  it.each([
    [{ owner: 'a' }, 'a'],
    [{ Owner: 'b' }, 'b'],
    [{ owner: 'exact', OWNER: 'upper' }, 'exact'],
    [{ owner: ' padded ' }, 'padded'],
    [{ owner: 'x'.repeat(257) }, undefined],
    [{ team: 'c' }, undefined],
    [undefined, undefined],
  ])('reads %j as %j', (tags, expected) => {
    expect(ownerTag(tags)).toBe(expected);
  });
});

describe('accountOwner', () => {
  it('stops walking up at an OU cycle instead of hanging', () => {
    const cyclic = {
      ...TRIAGE_VIEW,
      organizationalUnits: {
        'ou-a': { name: 'A', parentId: 'ou-b' },
        'ou-b': { name: 'B', parentId: 'ou-a' },
      },
    };

    expect(accountOwner(cyclic, { ...account('110000000011'), ouId: 'ou-a' }).owner).toBe('cloud-security');
  });
});
