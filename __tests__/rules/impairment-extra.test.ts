import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG } from '../../rules/catalog';
import { compilePattern } from '../../rules/event-pattern';

const fixture = (path: string) =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'events', path), 'utf8')) as {
    detail: { userIdentity: unknown; requestParameters: Record<string, unknown> };
  };
const patternOf = (id: string) => compilePattern(CATALOG.find((d) => d.id === id)!.pattern);

describe('s3-bucket-versioning-suspended', () => {
  // Only the root user can change MFA delete, so a real record also raises root-activity; the catalog's
  // fixtures cannot hold it (each positive alerts exactly one detection), this test covers the branch.
  it('matches MFA delete turned off by the root user, with versioning left on', () => {
    const event = fixture('s3-bucket-versioning-suspended/negative-enabled.json');
    event.detail.userIdentity = { type: 'Root', arn: 'arn:aws:iam::110000000006:root', accountId: '110000000006' };
    event.detail.requestParameters['VersioningConfiguration'] = { Status: 'Enabled', MfaDelete: 'Disabled' };
    expect(patternOf('s3-bucket-versioning-suspended')(event)).toBe(true);
    expect(patternOf('root-activity')(event)).toBe(true);
  });

  it('does not match MFA delete turned on', () => {
    const event = fixture('s3-bucket-versioning-suspended/negative-enabled.json');
    event.detail.requestParameters['VersioningConfiguration'] = { Status: 'Enabled', MfaDelete: 'Enabled' };
    expect(patternOf('s3-bucket-versioning-suspended')(event)).toBe(false);
  });
});
