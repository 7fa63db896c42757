/**
 * The shared record → event conversion, on a record of the replay fixtures (a real-shaped org trail log file:
 * __tests__/fixtures/replay/cloudtrail). Replay's own tests (__tests__/scripts/replay.test.ts) cover the edge cases
 * through the names scripts/replay/core.ts re-exports; this proves the sweep gets the very same functions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { detailTypeFor, sourceFor, wrapCloudTrailRecord } from '../../../../handlers/core/sweep/to-event';
import * as replay from '../../../../scripts/replay/core';

const FILE = join(
  __dirname,
  '../../../fixtures/replay/cloudtrail/AWSLogs/o-k3m9x2p7qa/110000000006/CloudTrail/us-east-1/2026/11/02',
  '110000000006_CloudTrail_us-east-1_20261102T1005Z_Xq3kT9pLm2Vb7NcD.json.gz',
);

describe('wrapCloudTrailRecord (shared with replay)', () => {
  it('is the function replay uses', () => {
    expect(replay.wrapCloudTrailRecord).toBe(wrapCloudTrailRecord);
    expect(replay.sourceFor).toBe(sourceFor);
    expect(replay.detailTypeFor).toBe(detailTypeFor);
  });

  it('wraps a console sign-in record into the envelope EventBridge delivers', () => {
    const [record] = JSON.parse(gunzipSync(readFileSync(FILE)).toString('utf8')).Records;
    expect(wrapCloudTrailRecord(record)).toEqual({
      event: {
        version: '0',
        id: '3f1c9a8e-1b2d-4c5e-9f00-0a1b2c3d4e01',
        'detail-type': 'AWS Console Signin via CloudTrail',
        source: 'aws.signin',
        account: '110000000006',
        time: '2026-11-02T09:58:12Z',
        region: 'us-east-1',
        resources: [],
        detail: record,
      },
    });
  });

  it('names what a record lacks', () => {
    expect(wrapCloudTrailRecord({ eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances' })).toEqual({
      problem: 'CloudTrail record without eventTime, awsRegion, recipientAccountId',
    });
    expect(wrapCloudTrailRecord([1])).toEqual({ problem: 'a CloudTrail record must be a JSON object, got an array' });
  });
});
