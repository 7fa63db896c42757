/**
 * Catalog invariants (cloud-custodian's meta-test idea): every detection is documented, has real-shaped
 * positive and negative fixtures, is forwarded from where its events happen, and alerts on exactly its own
 * events. Fixtures live in __tests__/fixtures/events/<detection-id>/{positive,negative}-<case>.json.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import org from '../../config/org.json';
import { makePredicateContext } from '../../handlers/core/own-calls';
import { CATALOG } from '../../rules/catalog';
import { SUCCEEDED } from '../../rules/catalog/shared';
import { compilePattern } from '../../rules/event-pattern';
import { patternProblems } from '../../rules/pattern-check';
import { forwardingPatterns, GLOBAL_EVENT_SOURCES, STATE_ALL_MANAGEMENT } from '../../rules/patterns';
import { type CloudTrailEventBridgeEvent, PREDICATES, type PredicateContext } from '../../rules/predicates';
import {
  DETECTION_CLASSES,
  type Detection,
  GUARDDUTY_FINDING,
  GUARDDUTY_SOURCE,
  type RemediationId,
  SEVERITIES,
} from '../../rules/types';
import { assertValidInventory } from '../../config/inventory';
import { toHandlerInventory } from '../../handlers/core/inventory-view';
import { makeTriageContext, triageMessage } from '../../handlers/core/triage';

const FIXTURES = join(__dirname, '..', 'fixtures', 'events');
const GLOBAL_REGION = 'us-east-1';

const ctx: PredicateContext = makePredicateContext({
  organizationId: org.organizationId,
  namePrefix: org.namePrefix,
  accountIds: org.accounts.map((a) => a.id),
  securityAccountId: org.securityAccountId,
});

/**
 * Intended overlaps: the CIS monitoring detections (CIS 4.4, 4.8, 4.10) record every change of their kind at
 * low severity, so the events that a precise detection escalates match them too. Triage receives one message
 * per matching central rule. Keys are precise detections, values the broad ones their positives may also match.
 */
const OVERLAPS: Readonly<Record<string, readonly string[]>> = {
  'iam-admin-policy-attached': ['iam-policy-changed'],
  'iam-inline-policy-grants-admin': ['iam-policy-changed'],
  'iam-policy-default-version-changed': ['iam-policy-changed'],
  's3-bucket-policy-public': ['s3-bucket-policy-changed'],
  's3-bucket-acl-public': ['s3-bucket-policy-changed'],
  'ec2-security-group-world-open-ingress': ['ec2-security-group-changed'],
  'ec2-security-group-rule-world-open': ['ec2-security-group-changed'],
  'ec2-network-acl-world-open-ingress': ['ec2-network-acl-changed'],
  'iam-root-access-key-created': ['root-activity'],
  // Issue #13, data shared out of the org and persistence (rules/catalog/exfiltration.ts, persistence.ts).
  'iam-role-trust-allows-outside-org': ['iam-role-trust-policy-updated'],
  's3-bucket-policy-grants-outside-org': ['s3-bucket-policy-changed'],
  's3-replication-to-outside-org': ['s3-bucket-policy-changed'],
  'ssm-command-to-many-instances': ['ssm-command-sent'],
  'organizations-leave-attempt-denied': ['api-access-denied-burst'],
  'signin-mfa-failures-repeated': ['signin-console-login-failed'],
  's3-trail-bucket-lifecycle-changed': ['s3-bucket-policy-changed'],
};

/** Every CIS v1.4+ monitoring control and the Security Hub controls that cite them. */
const CIS_CONTROLS = Array.from({ length: 15 }, (_, i) => `4.${i + 1}`);
const CLOUDWATCH_CONTROLS = Array.from({ length: 14 }, (_, i) => `CloudWatch.${i + 1}`);

/** Event names each CIS control watches (CIS benchmark / Security Hub CloudWatch.x filter text). */
const CIS_EVENT_NAMES: Readonly<Record<string, readonly string[]>> = {
  '4.4': [
    'DeleteGroupPolicy',
    'DeleteRolePolicy',
    'DeleteUserPolicy',
    'PutGroupPolicy',
    'PutRolePolicy',
    'PutUserPolicy',
    'CreatePolicy',
    'DeletePolicy',
    'CreatePolicyVersion',
    'DeletePolicyVersion',
    'AttachRolePolicy',
    'DetachRolePolicy',
    'AttachUserPolicy',
    'DetachUserPolicy',
    'AttachGroupPolicy',
    'DetachGroupPolicy',
  ],
  '4.5': ['CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging', 'StopLogging'],
  '4.7': ['DisableKey', 'ScheduleKeyDeletion'],
  '4.8': [
    'PutBucketAcl',
    'PutBucketPolicy',
    'PutBucketCors',
    'PutBucketLifecycle',
    'PutBucketReplication',
    'DeleteBucketPolicy',
    'DeleteBucketCors',
    'DeleteBucketLifecycle',
    'DeleteBucketReplication',
  ],
  '4.9': ['StopConfigurationRecorder', 'DeleteDeliveryChannel', 'PutDeliveryChannel', 'PutConfigurationRecorder'],
  '4.10': [
    'AuthorizeSecurityGroupIngress',
    'AuthorizeSecurityGroupEgress',
    'RevokeSecurityGroupIngress',
    'RevokeSecurityGroupEgress',
    'CreateSecurityGroup',
    'DeleteSecurityGroup',
  ],
  '4.11': [
    'CreateNetworkAcl',
    'CreateNetworkAclEntry',
    'DeleteNetworkAcl',
    'DeleteNetworkAclEntry',
    'ReplaceNetworkAclEntry',
    'ReplaceNetworkAclAssociation',
  ],
  '4.12': [
    'CreateCustomerGateway',
    'DeleteCustomerGateway',
    'AttachInternetGateway',
    'CreateInternetGateway',
    'DeleteInternetGateway',
    'DetachInternetGateway',
  ],
  '4.13': [
    'CreateRoute',
    'CreateRouteTable',
    'ReplaceRoute',
    'ReplaceRouteTableAssociation',
    'DeleteRouteTable',
    'DeleteRoute',
    'DisassociateRouteTable',
  ],
  '4.14': [
    'CreateVpc',
    'DeleteVpc',
    'ModifyVpcAttribute',
    'AcceptVpcPeeringConnection',
    'CreateVpcPeeringConnection',
    'DeleteVpcPeeringConnection',
    'RejectVpcPeeringConnection',
    'AttachClassicLinkVpc',
    'DetachClassicLinkVpc',
    'DisableVpcClassicLink',
    'EnableVpcClassicLink',
  ],
  '4.15': [
    'AcceptHandshake',
    'AttachPolicy',
    'CreateAccount',
    'CreateOrganizationalUnit',
    'CreatePolicy',
    'DeclineHandshake',
    'DeleteOrganization',
    'DeleteOrganizationalUnit',
    'DeletePolicy',
    'DetachPolicy',
    'DisablePolicyType',
    'EnablePolicyType',
    'InviteAccountToOrganization',
    'LeaveOrganization',
    'MoveAccount',
    'RemoveAccountFromOrganization',
    'UpdatePolicy',
    'UpdateOrganizationalUnit',
  ],
};

const KNOWN_REMEDIATIONS: readonly RemediationId[] = [
  'revoke-world-open-ingress',
  'restore-bucket-public-access-block',
  'restore-account-public-access-block',
  'revert-policy-version',
  'detach-admin-policy',
  'restart-trail-logging',
  'restore-forwarding-rule',
  'cancel-key-deletion',
  'restart-config-recorder',
  'remove-public-bucket-policy-statements',
  'remove-public-bucket-acl-grants',
  'delete-admin-inline-policy',
  'remove-user-from-admin-group',
  'deactivate-access-key',
  'enable-disabled-key',
  'enable-guardduty-detector',
  'recreate-guardduty-detector',
  'recreate-config-recorder-or-channel',
  'restore-event-selectors',
  'restore-trail-settings',
  'delete-world-open-nacl-entry',
  'delete-login-profile',
  'remove-bus-policy-statement',
  'remove-foreign-launch-permissions',
  'remove-foreign-snapshot-permissions',
  'remove-foreign-db-snapshot-access',
];

interface Fixture {
  readonly file: string;
  readonly kind: 'positive' | 'negative';
  readonly event: CloudTrailEventBridgeEvent;
}

function fixturesOf(id: string): Fixture[] {
  const dir = join(FIXTURES, id);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      file: `${id}/${f}`,
      kind: f.startsWith('positive-') ? 'positive' : 'negative',
      event: JSON.parse(readFileSync(join(dir, f), 'utf8')) as CloudTrailEventBridgeEvent,
    }));
}

const triage = makeTriageContext(toHandlerInventory(assertValidInventory(org)), CATALOG, PREDICATES);

/** Triage's own decision (handlers/core/triage.ts) on `event` as the message `d`'s central rule queues. */
const decide = (d: Detection, event: CloudTrailEventBridgeEvent) => triageMessage({ detectionId: d.id, event }, triage);

/**
 * Whether `d` finds `event` (loop guard, failed calls, its central rule, its predicate), before
 * supersession leaves the alert to the more precise of two detections.
 */
function alerts(d: Detection, event: CloudTrailEventBridgeEvent): boolean {
  const decision = decide(d, event);
  return decision.kind === 'alert' || (decision.kind === 'drop' && decision.category === 'superseded');
}

const forwarded = forwardingPatterns(CATALOG).map((p) => ({ ...p, matches: compilePattern(p.pattern) }));

/** Regions where member forwarding rules exist for the account of an event. */
const regionsOf = (account: string): readonly string[] =>
  org.accounts.find((a) => a.id === account)?.regions ?? org.regions;

const byId = (id: string): Detection => CATALOG.find((d) => d.id === id)!;
const allFixtures = CATALOG.flatMap((d) => fixturesOf(d.id).map((f) => ({ ...f, id: d.id })));
const positives = allFixtures.filter((f) => f.kind === 'positive');
const negatives = allFixtures.filter((f) => f.kind === 'negative');

/** Event names a detection's central pattern can match: `detail.eventName`, or those inside a `detail.$or`. */
function centralEventNames(d: Detection): string[] {
  const detail = (d.pattern['detail'] ?? {}) as Record<string, unknown>;
  const direct = (detail['eventName'] ?? []) as unknown[];
  const branches = ((detail['$or'] ?? []) as Record<string, unknown>[]).flatMap(
    (b) => (b['eventName'] ?? []) as unknown[],
  );
  return [...direct, ...branches].filter((n): n is string => typeof n === 'string');
}

describe('detection catalog', () => {
  it('has at least 45 detections', () => {
    expect(CATALOG.length).toBeGreaterThanOrEqual(45);
  });

  it('has unique kebab-case ids of at most 50 characters, starting with the service', () => {
    const ids = CATALOG.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
      expect(id.length).toBeLessThanOrEqual(50);
    }
  });

  it.each(CATALOG.map((d) => [d.id, d] as const))(
    '%s: a change monitor or heartbeat is info, a finding is medium or above',
    (_id, d) => {
      expect(DETECTION_CLASSES).toContain(d.class);
      const finding = d.class !== 'change' && d.class !== 'heartbeat';
      expect(finding ? SEVERITIES.indexOf(d.severity) >= SEVERITIES.indexOf('medium') : d.severity === 'info').toBe(
        true,
      );
    },
  );

  it.each(CATALOG.map((d) => [d.id, d] as const))('%s: is documented', (_id, d) => {
    expect(d.title.trim()).not.toBe('');
    expect(d.rationale.trim().length).toBeGreaterThan(40);
    const refs = Object.values(d.compliance).flat();
    expect(refs.length).toBeGreaterThan(0);
    expect(d.compliance.mitre?.length ?? 0).toBeGreaterThan(0);
  });

  it.each(CATALOG.map((d) => [d.id, d] as const))('%s: has a valid central pattern', (_id, d) => {
    expect(patternProblems(d.pattern)).toEqual([]);
  });

  it('derives only valid forwarding patterns', () => {
    for (const p of forwardingPatterns(CATALOG))
      expect({ key: p.key, problems: patternProblems(p.pattern) }).toEqual({ key: p.key, problems: [] });
  });

  const apiDetections = CATALOG.flatMap((d) => (d.forward.kind === 'api' ? [{ ...d, forward: d.forward }] : []));
  it.each(apiDetections.map((d) => [d.id, d] as const))(
    '%s: forwards every event name its central pattern can match',
    (_id, d) => {
      expect(d.pattern['source']).toEqual([d.forward.source]);
      const detail = d.pattern['detail'] as Record<string, unknown>;
      expect(detail['eventSource']).toEqual([d.forward.eventSource]);
      const names = centralEventNames(d);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(d.forward.eventNames).toContain(name);
    },
  );

  it.each(CATALOG.map((d) => [d.id, d] as const))('%s: ignores failed calls unless it is about failures', (_id, d) => {
    const detail = d.pattern['detail'] as Record<string, unknown>;
    const guarded = JSON.stringify(detail['errorCode']) === JSON.stringify(SUCCEEDED.errorCode);
    expect(guarded).toBe(!d.aboutFailures);
  });

  it.each(CATALOG.flatMap((d) => (d.predicate === undefined ? [] : [[d.id, d.predicate] as const])))(
    '%s: names a predicate that exists',
    (_id, predicate) => {
      expect(Object.keys(PREDICATES)).toContain(predicate);
    },
  );

  it('uses every predicate', () => {
    const used = new Set(CATALOG.map((d) => d.predicate).filter(Boolean));
    expect([...used].sort()).toEqual(Object.keys(PREDICATES).sort());
  });

  it('offers only remediations vigil implements, and each of them', () => {
    const used = CATALOG.flatMap((d) => (d.remediation ? [d.remediation.action] : []));
    for (const action of used) expect(KNOWN_REMEDIATIONS).toContain(action);
    expect([...new Set(used)].sort()).toEqual([...KNOWN_REMEDIATIONS].sort());
  });

  it('gives every high or critical detection an action or a reason why none is safe, never both', () => {
    const offenders = CATALOG.filter((d) => d.severity === 'high' || d.severity === 'critical')
      .filter((d) => (d.remediation !== undefined) === ((d.noRemediation ?? '').trim() !== ''))
      .map((d) => d.id);
    expect(offenders).toEqual([]);
  });

  it('states no reason on detections with an action or below high severity', () => {
    const misplaced = CATALOG.filter(
      (d) =>
        d.noRemediation !== undefined && (d.remediation !== undefined || !['high', 'critical'].includes(d.severity)),
    ).map((d) => d.id);
    expect(misplaced).toEqual([]);
  });

  it('gives aggregated detections a usable window, threshold and group', () => {
    for (const d of CATALOG) {
      if (!d.aggregate) continue;
      expect(d.aggregate.windowSeconds).toBeGreaterThan(0);
      expect(d.aggregate.threshold).toBeGreaterThanOrEqual(1);
      expect(d.aggregate.groupBy.length).toBeGreaterThan(0);
    }
  });

  it('keeps the overlap list honest: each declared overlap is exercised by a positive fixture', () => {
    for (const [id, others] of Object.entries(OVERLAPS)) {
      expect(byId(id)).toBeDefined();
      for (const other of others) {
        const exercised = positives.some((f) => f.id === id && alerts(byId(other), f.event));
        expect({ id, other, exercised }).toEqual({ id, other, exercised: true });
      }
    }
  });
});

describe('fixtures', () => {
  it.each(CATALOG.map((d) => [d.id] as const))('%s: has at least one positive and one negative fixture', (id) => {
    const kinds = fixturesOf(id).map((f) => f.kind);
    expect(kinds).toContain('positive');
    expect(kinds).toContain('negative');
  });

  it('has no fixture folder for an unknown detection, and no badly named fixture', () => {
    const ids = new Set(CATALOG.map((d) => d.id));
    for (const dir of readdirSync(FIXTURES)) {
      expect(ids).toContain(dir);
      for (const f of readdirSync(join(FIXTURES, dir))) expect(f).toMatch(/^(positive|negative)-[a-z0-9-]+\.json$/);
    }
  });

  const isFinding = (f: Fixture) => f.event['detail-type'] === GUARDDUTY_FINDING;

  it.each(allFixtures.filter((f) => !isFinding(f)).map((f) => [f.file, f] as const))(
    '%s: is a CloudTrail event from an inventory account',
    (_f, f) => {
      const { event } = f;
      expect(event.version).toBe('0');
      expect(event.source).toMatch(/^aws\.[a-z0-9-]+$/);
      expect(event['detail-type']).toMatch(/via CloudTrail$/);
      expect(event.detail.eventSource).toBe(`${event.source.slice(4)}.amazonaws.com`);
      expect(event.region).toBe(event.detail.awsRegion);
      expect(event.account).toBe(event.detail.recipientAccountId);
      expect(event.time).toBe(event.detail['eventTime']);
      expect(ctx.organizationAccountIds).toContain(event.account);
    },
  );

  it.each(allFixtures.filter(isFinding).map((f) => [f.file, f] as const))(
    '%s: is a GuardDuty finding from an inventory account',
    (_f, f) => {
      const { event } = f;
      const detail = event.detail as Record<string, unknown>;
      expect(event.version).toBe('0');
      expect(event.source).toBe(GUARDDUTY_SOURCE);
      expect(event.region).toBe(detail['region']);
      expect(event.account).toBe(detail['accountId']);
      expect(detail['type']).toEqual(expect.any(String));
      expect(detail['severity']).toEqual(expect.any(Number));
      expect(detail['arn']).toBe(
        `arn:aws:guardduty:${event.region}:${event.account}:detector/${(detail['service'] as Record<string, unknown>)['detectorId']}/finding/${detail['id']}`,
      );
      expect(ctx.organizationAccountIds).toContain(event.account);
    },
  );

  it.each(positives.map((f) => [f.file, f] as const))(
    '%s: is forwarded by a member rule that exists in its region',
    (_f, f) => {
      const { event } = f;
      expect(regionsOf(event.account)).toContain(event.region);
      const rules = forwarded.filter((p) => p.scope === 'regional' || event.region === GLOBAL_REGION);
      const hits = rules.filter((p) => p.matches(event));
      expect(hits.map((p) => p.key)).not.toEqual([]);
      // Read-only events only reach rules in the ALL-management-events state.
      expect(event.detail['readOnly'] !== true || hits.some((p) => p.state === STATE_ALL_MANAGEMENT)).toBe(true);
      // Global-service events are recorded in us-east-1 only.
      expect(!GLOBAL_EVENT_SOURCES.includes(event.detail.eventSource) || event.region === GLOBAL_REGION).toBe(true);
    },
  );

  const isHeartbeat = (f: { id: string }) => byId(f.id).class === 'heartbeat';

  it.each(positives.filter(isHeartbeat).map((f) => [f.file, f] as const))(
    '%s: is recorded as a heartbeat and alerts no detection',
    (_f, f) => {
      expect(decide(byId(f.id), f.event).kind).toBe('heartbeat');
      expect(CATALOG.filter((d) => decide(d, f.event).kind !== 'drop').map((d) => d.id)).toEqual([f.id]);
    },
  );

  it.each(positives.filter((f) => !isHeartbeat(f)).map((f) => [f.file, f] as const))(
    '%s: alerts exactly its own detection (after supersession)',
    (_f, f) => {
      const matched = CATALOG.filter((d) => alerts(d, f.event)).map((d) => d.id);
      expect(matched).toContain(f.id);
      const others = matched.filter((id) => id !== f.id);
      const allowed = OVERLAPS[f.id] ?? [];
      expect(others.filter((id) => !allowed.includes(id))).toEqual([]);
      const alerting = CATALOG.filter((d) => decide(d, f.event).kind === 'alert').map((d) => d.id);
      expect(alerting).toEqual([f.id]);
    },
  );

  it('declares every overlap as supersession in the catalog, and nothing else', () => {
    const declared = Object.fromEntries(CATALOG.filter((d) => d.supersedes).map((d) => [d.id, [...d.supersedes!]]));
    expect(declared).toEqual(OVERLAPS);
    for (const d of CATALOG) for (const other of d.supersedes ?? []) expect(byId(other)).toBeDefined();
  });

  it.each(negatives.map((f) => [f.file, f] as const))('%s: does not alert its detection', (_f, f) => {
    expect(alerts(byId(f.id), f.event)).toBe(false);
  });
});

describe('compliance coverage', () => {
  const covering = (ref: string, field: 'cis' | 'securityHub') =>
    CATALOG.filter((d) => (d.compliance[field] ?? []).includes(ref)).map((d) => d.id);

  it.each(CIS_CONTROLS.map((c) => [c] as const))('covers CIS %s', (control) => {
    expect(covering(control, 'cis')).not.toEqual([]);
  });

  it.each(CLOUDWATCH_CONTROLS.map((c) => [c] as const))('covers Security Hub %s', (control) => {
    expect(covering(control, 'securityHub')).not.toEqual([]);
  });

  it.each(Object.entries(CIS_EVENT_NAMES).map(([c, names]) => [c, names] as const))(
    'watches every event name of CIS %s in a detection mapped to it',
    (control, names) => {
      const watched = new Set(
        CATALOG.filter((d) => (d.compliance.cis ?? []).includes(control)).flatMap((d) => centralEventNames(d)),
      );
      expect(names.filter((n) => !watched.has(n))).toEqual([]);
    },
  );
});
