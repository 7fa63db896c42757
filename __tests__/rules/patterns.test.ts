import { CATALOG } from '../../rules/catalog';
import {
  centralRules,
  forwardingPatterns,
  GLOBAL_EVENT_SOURCES,
  MAX_PATTERN_LENGTH,
  STATE_ALL_MANAGEMENT,
} from '../../rules/patterns';
import type { Detection } from '../../rules/types';

const api = (
  id: string,
  source: string,
  eventSource: string,
  eventNames: string[],
  extra: Partial<Detection> = {},
): Detection => ({
  id,
  title: id,
  class: 'impairment',
  severity: 'high',
  rationale: 'test',
  compliance: {},
  forward: { kind: 'api', source, eventSource, eventNames },
  pattern: { source: [source] },
  ...extra,
});

describe('forwardingPatterns', () => {
  it('keeps every pattern of the catalog within the EventBridge size limit', () => {
    for (const p of forwardingPatterns(CATALOG))
      expect(JSON.stringify(p.pattern).length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
  });

  it('forwards every event name of every API detection', () => {
    const text = JSON.stringify(forwardingPatterns(CATALOG));
    for (const d of CATALOG) {
      if (d.forward.kind !== 'api') continue;
      for (const name of d.forward.eventNames) expect(text).toContain(`"${name}"`);
    }
  });

  it('scopes IAM and Organizations to the global patterns, everything else to regional ones', () => {
    const patterns = forwardingPatterns([
      api('a', 'aws.iam', 'iam.amazonaws.com', ['AttachUserPolicy']),
      api('b', 'aws.organizations', 'organizations.amazonaws.com', ['LeaveOrganization']),
      api('c', 'aws.ec2', 'ec2.amazonaws.com', ['AuthorizeSecurityGroupIngress']),
      api('d', 'aws.signin', 'signin.amazonaws.com', ['ConsoleLogin']),
    ]);
    for (const p of patterns) {
      const text = JSON.stringify(p.pattern);
      const isGlobal = GLOBAL_EVENT_SOURCES.some((s) => text.includes(s));
      expect(p.scope).toBe(isGlobal ? 'global' : 'regional');
    }
    expect(patterns.map((p) => p.key)).toEqual(['global-1', 'regional-1']);
  });

  it('matches sign-in events on source and event name, not on the detail-type spelling', () => {
    const [p] = forwardingPatterns([api('d', 'aws.signin', 'signin.amazonaws.com', ['ConsoleLogin'])]);
    expect(p!.pattern).toEqual({
      source: ['aws.signin'],
      detail: { eventSource: ['signin.amazonaws.com'], eventName: ['ConsoleLogin'] },
    });
  });

  it('splits into several rules when one would exceed 2,048 characters', () => {
    const names = Array.from({ length: 200 }, (_, i) => `SomeFairlyLongEventName${i}`);
    const patterns = forwardingPatterns([api('big', 'aws.ec2', 'ec2.amazonaws.com', names)]);
    expect(patterns.length).toBeGreaterThan(1);
    const forwarded = patterns.flatMap((p) => {
      const parts = (p.pattern['$or'] as any[]) ?? [p.pattern];
      return parts.flatMap((part) => part.detail.eventName as string[]);
    });
    expect(forwarded.sort()).toEqual([...names].sort());
    for (const p of patterns) expect(JSON.stringify(p.pattern).length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
  });

  it('uses the all-management-events state only for detections that need read-only events', () => {
    const patterns = forwardingPatterns([
      api('a', 'aws.sts', 'sts.amazonaws.com', ['GetSessionToken'], { readOnlyEvents: true }),
      api('b', 'aws.ec2', 'ec2.amazonaws.com', ['CreateVpc']),
    ]);
    expect(patterns.map((p) => [p.key, p.state])).toEqual([
      ['regional-1', 'ENABLED'],
      ['regional-all-1', STATE_ALL_MANAGEMENT],
    ]);
  });

  it('is independent of catalog order', () => {
    expect(forwardingPatterns([...CATALOG].reverse())).toEqual(forwardingPatterns(CATALOG));
  });

  it('fails when two detections give one forwarding key two different patterns', () => {
    const a: Detection = {
      ...api('a', 'x', 'y', []),
      forward: { kind: 'pattern', key: 'k', pattern: { source: ['a'] } },
    };
    const b: Detection = {
      ...api('b', 'x', 'y', []),
      forward: { kind: 'pattern', key: 'k', pattern: { source: ['b'] } },
    };
    expect(() => forwardingPatterns([a, b])).toThrow(/forwarding key 'k' is used with two different patterns/);
  });
});

describe('centralRules', () => {
  it('gives every detection one rule named after its id', () => {
    const rules = centralRules(CATALOG, 'vigil');
    expect(rules.map((r) => r.detectionId).sort()).toEqual(CATALOG.map((d) => d.id).sort());
    for (const r of rules) expect(r.name).toBe(`vigil-${r.detectionId}`);
  });

  it('fails when a rule name would exceed 64 characters', () => {
    expect(() => centralRules([api('x'.repeat(60), 'aws.ec2', 'ec2.amazonaws.com', ['A'])], 'vigil')).toThrow(
      /exceeds EventBridge's 64/,
    );
  });
});
