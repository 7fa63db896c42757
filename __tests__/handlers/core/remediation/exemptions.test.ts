import type { Exemption, RemediationConfig } from '../../../../config/remediation';
import {
  addDays,
  checkExemptions,
  exemptionMatches,
  globToRegExp,
  parseExemptionTag,
  type TagLookup,
} from '../../../../handlers/core/remediation/exemptions';

const TODAY = '2026-11-28';
const SUBJECT = {
  detectionId: 'ec2-security-group-world-open-ingress',
  accountId: '110000000004',
  resources: ['sg-0b4571011abc', 'arn:aws:ec2:eu-west-1:110000000004:security-group/sg-0b4571011abc'],
};
const BASTION: Exemption = {
  detection: 'ec2-security-group-world-open-ingress',
  account: '110000000004',
  resource: 'sg-0b4571011*',
  owner: 'network-team',
  reason: 'legacy bastion',
  expires: '2027-03-31',
  ticket: 'SEC-1432',
};
const config = (
  exemptions: Exemption[] = [],
  maxDays?: number,
): Pick<RemediationConfig, 'exemptions' | 'exemptionTag'> => ({
  exemptions,
  exemptionTag: { key: 'vigil:exempt', ...(maxDays === undefined ? {} : { maxDays }) },
});
const tags = (t: Record<string, string>): TagLookup => ({ kind: 'read', tags: t });
const NO_TAGS = tags({});

describe('checkExemptions: config', () => {
  it('exempts by detection, account and resource glob, naming owner, ticket and expiry', () => {
    expect(checkExemptions(SUBJECT, config([BASTION]), NO_TAGS, TODAY)).toEqual({
      kind: 'exempt',
      source: 'config',
      owner: 'network-team',
      expires: '2027-03-31',
      reason: expect.stringMatching(
        /exemptions\[0\] \(owner network-team, SEC-1432\) until 2027-03-31: legacy bastion/,
      ),
      ignored: [],
    });
  });

  it.each<[string, Partial<Exemption>]>([
    ['another detection', { detection: 'iam-admin-policy-attached' }],
    ['another account', { account: '110000000005' }],
    ['another resource', { resource: 'sg-0ffff*' }],
  ])('does not exempt %s', (_case, change) => {
    expect(checkExemptions(SUBJECT, config([{ ...BASTION, ...change }]), NO_TAGS, TODAY).kind).toBe('none');
  });

  it('applies on its expiry day and is ignored, with a reason, the day after', () => {
    const lastDay = { ...BASTION, expires: TODAY };
    expect(checkExemptions(SUBJECT, config([lastDay]), NO_TAGS, TODAY).kind).toBe('exempt');
    expect(checkExemptions(SUBJECT, config([lastDay]), NO_TAGS, addDays(TODAY, 1))).toEqual({
      kind: 'none',
      ignored: ['exemptions[0] (owner network-team) expired on 2026-11-28'],
    });
  });

  it('uses a later valid exemption after an expired one', () => {
    const expired = { ...BASTION, expires: '2026-01-01' };
    const result = checkExemptions(SUBJECT, config([expired, BASTION]), NO_TAGS, TODAY);
    expect(result).toMatchObject({ kind: 'exempt', reason: expect.stringMatching(/exemptions\[1\]/) });
    expect(result.ignored).toEqual([expect.stringMatching(/exemptions\[0\].*expired on 2026-01-01/)]);
  });

  it('needs no tags: a config exemption holds even when the tags could not be read', () => {
    expect(checkExemptions(SUBJECT, config([BASTION]), { kind: 'failed', error: 'AccessDenied' }, TODAY).kind).toBe(
      'exempt',
    );
  });
});

describe('checkExemptions: resource tag', () => {
  it('exempts by a tag "<reason>; expires=<date>", naming the owner tag', () => {
    const lookup = tags({ 'vigil:exempt': 'load test until Friday; expires=2026-12-04', owner: 'perf-team' });
    expect(checkExemptions(SUBJECT, config(), lookup, TODAY)).toEqual({
      kind: 'exempt',
      source: 'tag',
      owner: 'perf-team',
      expires: '2026-12-04',
      reason: 'exempt by resource tag vigil:exempt (owner perf-team) until 2026-12-04: load test until Friday',
      ignored: [],
    });
  });

  it.each([
    ['expired', 'load test; expires=2026-11-27', /expired on 2026-11-27/],
    ['without expiry', 'load test', /exactly one "expires=YYYY-MM-DD"/],
    ['with a bad date', 'load test; expires=tomorrow', /not a YYYY-MM-DD date/],
    ['without reason', 'expires=2026-12-01', /no reason/],
    ['too far ahead', 'forever; expires=2030-01-01', /more than 90 days ahead/],
  ])('ignores a tag %s, saying why', (_case, value, why) => {
    const result = checkExemptions(SUBJECT, config(), tags({ 'vigil:exempt': value }), TODAY);
    expect(result).toEqual({ kind: 'none', ignored: [expect.stringMatching(why)] });
  });

  it('honours exemptionTag.maxDays', () => {
    const lookup = tags({ 'vigil:exempt': 'demo; expires=2026-12-10' });
    expect(checkExemptions(SUBJECT, config([], 7), lookup, TODAY).kind).toBe('none');
    expect(checkExemptions(SUBJECT, config([], 30), lookup, TODAY).kind).toBe('exempt');
  });

  it('does not auto-remediate when the tags cannot be read: the answer is unknown, with why', () => {
    expect(
      checkExemptions(SUBJECT, config(), { kind: 'failed', error: 'AccessDenied: role vigil-readonly' }, TODAY),
    ).toEqual({
      kind: 'unknown',
      reason: expect.stringMatching(/could not read the tags of sg-0b4571011abc .*AccessDenied: role vigil-readonly/),
      ignored: [],
    });
  });

  it('is not exempt when the resource carries no tags or cannot be tagged', () => {
    expect(checkExemptions(SUBJECT, config(), NO_TAGS, TODAY)).toEqual({ kind: 'none', ignored: [] });
    expect(checkExemptions(SUBJECT, config(), { kind: 'not-taggable' }, TODAY)).toEqual({ kind: 'none', ignored: [] });
  });
});

describe('parseExemptionTag', () => {
  it('accepts the parts in any order and keeps the reason', () => {
    expect(parseExemptionTag(' expires=2026-12-01 ; migration; see SEC-1 ')).toEqual({
      reason: 'migration; see SEC-1',
      expires: '2026-12-01',
    });
  });
});

describe('exemption resource globs', () => {
  it.each([
    ['sg-0abc*', 'sg-0abc123', true],
    ['sg-0abc*', 'sg-0abd123', false],
    ['arn:aws:s3:::public-*', 'arn:aws:s3:::public-site', true],
    ['bucket-?', 'bucket-1', true],
    ['bucket-?', 'bucket-12', false],
    ['a.b', 'axb', false],
  ])('%s matches %s: %s', (glob, value, expected) => {
    expect(globToRegExp(glob).test(value)).toBe(expected);
  });

  it('matches when any of the subject ids matches', () => {
    const byArn = { ...BASTION, resource: 'arn:aws:ec2:*:110000000004:security-group/*' };
    expect(exemptionMatches(byArn, SUBJECT)).toBe(true);
  });
});
