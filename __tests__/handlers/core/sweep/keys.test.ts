/**
 * Object keys of the log-archive bucket. Shapes from the CloudTrail user guide: the log file name format
 * (`111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz`, "CloudTrail log file examples"), the
 * digest location with the organization id level and the `_backfill` suffix ("CloudTrail digest file structure"),
 * and the replay fixtures under __tests__/fixtures/replay/cloudtrail, which follow the same layout.
 */
import { classifyKey, decodeEventKey, type KeyLayout } from '../../../../handlers/core/sweep/keys';

const layout: KeyLayout = { organizationId: 'o-k3m9x2p7qa', managementAccountId: '110000000001' };
const LOG =
  'AWSLogs/o-k3m9x2p7qa/110000000006/CloudTrail/us-east-1/2026/11/02/110000000006_CloudTrail_us-east-1_20261102T1005Z_Xq3kT9pLm2Vb7NcD.json.gz';
const DIGEST =
  'AWSLogs/o-k3m9x2p7qa/110000000008/CloudTrail-Digest/eu-west-1/2026/11/04/110000000008_CloudTrail-Digest_eu-west-1_org-trail_eu-west-1_20261104T090000Z.json.gz';

describe('classifyKey', () => {
  it('reads a log file key: account, region, folder date and delivery time', () => {
    expect(classifyKey(LOG, layout)).toEqual({
      kind: 'log',
      key: LOG,
      organizationId: 'o-k3m9x2p7qa',
      account: '110000000006',
      region: 'us-east-1',
      date: '2026-11-02',
      deliveredAt: '2026-11-02T10:05:00Z',
    });
  });

  it('reads a digest key: trail name, home region, end time', () => {
    expect(classifyKey(DIGEST, layout)).toEqual({
      kind: 'digest',
      key: DIGEST,
      organizationId: 'o-k3m9x2p7qa',
      account: '110000000008',
      region: 'eu-west-1',
      date: '2026-11-04',
      trailName: 'org-trail',
      homeRegion: 'eu-west-1',
      endTime: '2026-11-04T09:00:00Z',
      backfill: false,
    });
  });

  it('reads a backfill digest and a multi-region trail whose home region differs', () => {
    const key =
      'AWSLogs/o-k3m9x2p7qa/110000000008/CloudTrail-Digest/us-west-2/2026/11/04/110000000008_CloudTrail-Digest_us-west-2_vigil_org_trail_eu-west-1_20261104T090512Z_backfill.json.gz';
    expect(classifyKey(key, layout)).toMatchObject({
      kind: 'digest',
      region: 'us-west-2',
      trailName: 'vigil_org_trail',
      homeRegion: 'eu-west-1',
      endTime: '2026-11-04T09:05:12Z',
      backfill: true,
    });
  });

  it('tells Insights log files apart', () => {
    const key =
      'AWSLogs/o-k3m9x2p7qa/110000000006/CloudTrail-Insight/us-east-1/2026/11/02/110000000006_CloudTrail-Insight_us-east-1_20261102T1005Z_Xq3kT9pLm2Vb7NcD.json.gz';
    expect(classifyKey(key, layout)).toMatchObject({ kind: 'insight', account: '110000000006' });
  });

  it("accepts the management account's layout without the org id level, for that account only", () => {
    const mine =
      'AWSLogs/110000000001/CloudTrail/eu-west-1/2026/11/02/110000000001_CloudTrail_eu-west-1_20261102T1005Z_Xq3kT9pLm2Vb7NcD.json.gz';
    expect(classifyKey(mine, layout)).toMatchObject({
      kind: 'log',
      organizationId: undefined,
      account: '110000000001',
    });
    expect(classifyKey(mine, { organizationId: 'o-k3m9x2p7qa' })).toMatchObject({
      kind: 'rejected',
      reason: expect.stringContaining("an account trail's layout"),
    });
  });

  it('honours a trail key prefix', () => {
    expect(classifyKey(`trails/${LOG}`, { ...layout, prefix: 'trails' })).toMatchObject({ kind: 'log' });
    expect(classifyKey(LOG, { ...layout, prefix: 'trails' })).toMatchObject({ kind: 'rejected' });
  });

  it.each([
    ['not under AWSLogs/', 'uploads/evil.json.gz', 'not under AWSLogs/'],
    ['another organization', LOG.replace('o-k3m9x2p7qa', 'o-zzzzzzzzzz'), "another organization's id o-zzzzzzzzzz"],
    ['an account trail layout', LOG.replace('o-k3m9x2p7qa/', ''), "an account trail's layout"],
    ['garbage after AWSLogs/', 'AWSLogs/tmp/x.json.gz', 'neither the organization id nor the management account'],
    ['an overlong key', `AWSLogs/${'a'.repeat(1100)}`, 'longer than S3 allows'],
  ])('rejects %s with a reason', (_name, key, reason) => {
    expect(classifyKey(key, layout)).toEqual({ kind: 'rejected', key, reason: expect.stringContaining(reason) });
  });

  it.each([
    ['a foreign folder', LOG.replace('/CloudTrail/', '/Config/'), 'is not CloudTrail'],
    ['a bad region', LOG.replace('/us-east-1/', '/moon-1/'), 'is not a region'],
    ['a file name from another account', LOG.replace('/110000000006/', '/110000000007/'), "file name's account"],
    ['a file name from another region', LOG.replace('/us-east-1/2026', '/us-west-2/2026'), "file name's region"],
    ['a file name from another day', LOG.replace('/11/02/', '/11/03/'), "file name's date"],
    ['a file outside the date folders', LOG.replace('2026/11/02/', ''), 'not <region>/YYYY/MM/DD/'],
    ['an impossible date', LOG.replace('/11/02/', '/02/30/').replace('20261102', '20260230'), 'is not a date'],
    ['an impossible time', LOG.replace('T1005Z', 'T2560Z'), 'is not a time'],
    ['a name CloudTrail never writes', LOG.replace('.json.gz', '.json'), 'not named'],
    ['a digest named like a log file', DIGEST.replace('_CloudTrail-Digest_', '_CloudTrail_'), 'not named'],
    ['a log file in the digest folder', LOG.replace('/CloudTrail/', '/CloudTrail-Digest/'), 'not named'],
  ])('flags %s under the org prefix as other, with a reason', (_name, key, reason) => {
    expect(classifyKey(key, layout)).toEqual({ kind: 'other', key, reason: expect.stringContaining(reason) });
  });
});

describe('decodeEventKey', () => {
  it('decodes the URL encoding of S3 event notifications (spaces as +)', () => {
    expect(decodeEventKey('AWSLogs/o-k3m9x2p7qa/a+b%2Bc%3D.json.gz')).toBe('AWSLogs/o-k3m9x2p7qa/a b+c=.json.gz');
    expect(decodeEventKey(LOG)).toBe(LOG);
  });

  it('returns undefined for a malformed encoding', () => {
    expect(decodeEventKey('AWSLogs/%E0%A4%A')).toBeUndefined();
  });
});
