import type { AlertRouting } from '../../../handlers/core/alert';
import { parseTriageMessage } from '../../../handlers/core/envelope';
import type { OwnerResolution } from '../../../handlers/core/owner';
import {
  type AlertDecision,
  affectedResources,
  buildAlert,
  DEFAULT_REPEAT_WINDOW_SECONDS,
  describeSeconds,
  effectiveSeverity,
  flattenParameters,
  makeTriageContext,
  ownRemediationSession,
  routeAlert,
  type TriageDecision,
  triageMessage,
  valueAt,
} from '../../../handlers/core/triage';
import { CATALOG } from '../../../rules/catalog';
import { PREDICATES } from '../../../rules/predicates';
import type { Detection } from '../../../rules/types';
import {
  anotherCall,
  DETECTION_OF,
  type FixtureName,
  loadTriageEvent,
  messageBody,
  TRIAGE_VIEW,
  triageContext,
} from '../../fixtures/triage';
import { loadEvent } from '../../helpers/remediation';

const ctx = triageContext();
const detection = (id: string): Detection => CATALOG.find((d) => d.id === id)!;

/** Validates and triages `event` as a message for `detectionId`. */
function decide(event: unknown, detectionId: string, context = ctx): TriageDecision {
  const parsed = parseTriageMessage(messageBody(detectionId, event));
  if (!parsed.ok) throw new Error(`fixture rejected: ${parsed.reason}`);
  return triageMessage(parsed.message, context);
}

const decideFixture = (name: FixtureName, edit: (e: any) => void = () => {}) => {
  const event = loadTriageEvent(name);
  edit(event);
  return decide(event, DETECTION_OF[name]);
};

function alertOf(decision: TriageDecision): AlertDecision {
  if (decision.kind === 'heartbeat') throw new Error('expected an alert, got a heartbeat');
  if (decision.kind !== 'alert') throw new Error(`expected an alert, got ${decision.category}: ${decision.reason}`);
  return decision;
}

/** Moves a fixture event to another account of the organization. */
const moveTo = (account: string) => (e: any) => {
  const json = JSON.stringify(e).replaceAll(e.account, account);
  Object.assign(e, JSON.parse(json));
};

describe('triageMessage', () => {
  it('alerts on a real StopLogging with the account facts of the inventory', () => {
    const d = alertOf(decideFixture('stop-logging-prod'));

    expect(d.detection.id).toBe('cloudtrail-logging-stopped');
    expect(d.event).toMatchObject({
      eventId: '0d3b9c2a-6f41-4e8b-b7a5-1c9e2d4f6a01',
      eventName: 'StopLogging',
      eventSource: 'cloudtrail.amazonaws.com',
      eventTime: '2025-07-01T01:12:45Z',
      awsRegion: 'eu-west-1',
      account: { id: '110000000006', name: 'payments-prod', ouName: 'Workloads/Prod', environment: 'prod' },
      actor: { type: 'AssumedRole', arn: expect.stringContaining('assumed-role/AWSReservedSSO_AdministratorAccess') },
      sourceIPAddress: '203.0.113.24',
      requestParameters: { name: 'arn:aws:cloudtrail:eu-west-1:110000000006:trail/payments-audit' },
      resources: ['arn:aws:cloudtrail:eu-west-1:110000000006:trail/payments-audit'],
    });
    expect(d.eventTimeMs).toBe(Date.parse('2025-07-01T01:12:45Z'));
  });

  it('raises the severity of a high detection in a prod account to critical', () => {
    const prod = alertOf(decideFixture('attach-admin-policy-nonprod', moveTo('110000000006')));
    const nonProd = alertOf(decideFixture('attach-admin-policy-nonprod'));

    expect(detection('iam-admin-policy-attached').severity).toBe('high');
    expect(prod.severity).toBe('critical');
    expect(nonProd.severity).toBe('high');
  });

  it('drops an unknown detection id as invalid', () => {
    const event = loadTriageEvent('stop-logging-prod');

    expect(decide(event, 'cloudtrail-logging-paused')).toEqual({
      kind: 'drop',
      category: 'invalid',
      reason: "detection 'cloudtrail-logging-paused' is not in the catalog",
    });
  });

  it("drops as invalid an event that does not match the named detection's pattern", () => {
    const event = loadTriageEvent('stop-logging-prod');

    expect(decide(event, 'iam-admin-policy-attached')).toMatchObject({
      kind: 'drop',
      category: 'invalid',
      reason: expect.stringContaining('does not match the pattern of iam-admin-policy-attached'),
      detection: { id: 'iam-admin-policy-attached' },
    });
  });

  it('drops an event that passes the pattern but not the predicate as no finding', () => {
    // HTTPS from the world is not an admin port: the pattern matches any ingress, the predicate says no.
    const d = decideFixture('sg-ingress-ssh-world', (e) => {
      const perm = e.detail.requestParameters.ipPermissions.items[0];
      perm.fromPort = 443;
      perm.toPort = 443;
    });

    expect(d).toMatchObject({
      kind: 'drop',
      category: 'no-finding',
      reason: expect.stringContaining('ingressOpensAdminPortsToWorld'),
    });
  });

  describe('loop guard', () => {
    /** The remediation role's exact issuer, as CloudTrail records it in `account`. */
    const remediationRole = (account: string) => ({
      type: 'AssumedRole',
      principalId: 'AROAYQ4KX2VIGILREMED:vigil-remediate-4b6d8f0a',
      arn: `arn:aws:sts::${account}:assumed-role/vigil-remediation/vigil-remediate-4b6d8f0a`,
      accountId: account,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAYQ4KX2VIGILREMED',
          arn: `arn:aws:iam::${account}:role/vigil-remediation`,
          accountId: account,
          userName: 'vigil-remediation',
        },
      },
    });
    /** An admin's session whose issuer is `issuerArn` and whose session is named `sessionName`. */
    const session = (issuerArn: string, sessionName: string, account = '110000000007') => ({
      type: 'AssumedRole',
      principalId: `AROAEXAMPLEADMIN0001:${sessionName}`,
      arn: `arn:aws:sts::${account}:assumed-role/${issuerArn.split('/').pop()}/${sessionName}`,
      accountId: account,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEADMIN0001',
          arn: issuerArn,
          accountId: account,
          userName: issuerArn.split('/').pop(),
        },
      },
    });

    it("drops the remediation role's own corrective call, which a detection would otherwise report", () => {
      const d = decideFixture('revoke-ingress-by-remediation');

      expect(d).toMatchObject({
        kind: 'drop',
        category: 'own-remediation',
        reason: expect.stringContaining('arn:aws:iam::110000000007:role/vigil-remediation'),
      });
    });

    it('drops it also when it arrives as a message of the misuse detection (every call of the role is forwarded)', () => {
      const event = loadTriageEvent('revoke-ingress-by-remediation');

      expect(decide(event, 'vigil-remediation-role-misused')).toMatchObject({
        kind: 'drop',
        category: 'own-remediation',
      });
    });

    it('alerts on the same change made by a human', () => {
      const human = loadTriageEvent('sg-ingress-ssh-world').detail.userIdentity;

      const d = decideFixture('revoke-ingress-by-remediation', (e) => (e.detail.userIdentity = human));

      expect(d.kind).toBe('alert');
    });

    it.each([
      ['a session named like the role', session('arn:aws:iam::110000000007:role/Admin', 'vigil-remediation')],
      [
        'a role with the IAM path /vigil-remediation/',
        session('arn:aws:iam::110000000007:role/vigil-remediation/Admin', 'ops'),
      ],
      ['a role named like it under an IAM path', session('arn:aws:iam::110000000007:role/ops/vigil-remediation', 'x')],
      [
        'an SSO session named like the role',
        session(
          'arn:aws:iam::110000000007:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b',
          'vigil-remediation',
        ),
      ],
      [
        'the role of the same name in an account outside the inventory',
        { ...remediationRole('999988887777'), arn: 'arn:aws:sts::999988887777:assumed-role/vigil-remediation/s' },
      ],
      [
        'the role of the same name in another inventory account',
        { ...remediationRole('110000000006'), arn: 'arn:aws:sts::110000000006:assumed-role/vigil-remediation/s' },
      ],
    ])('alerts when SSH is opened to the world by %s', (_case, identity) => {
      const d = decideFixture('sg-ingress-ssh-world', (e) => (e.detail.userIdentity = identity));

      expect(d).toMatchObject({ kind: 'alert', detection: { id: 'ec2-security-group-world-open-ingress' } });
    });

    it('alerts when the exact remediation role makes a call it is not for (opening SSH to the world)', () => {
      const d = decideFixture('sg-ingress-ssh-world', (e) => (e.detail.userIdentity = remediationRole(e.account)));

      expect(d).toMatchObject({ kind: 'alert', detection: { id: 'ec2-security-group-world-open-ingress' } });
    });

    it('alerts "remediation role misused" at critical severity for a call of the exact role it is not for', () => {
      const event = loadTriageEvent('sg-ingress-ssh-world');
      event.detail.userIdentity = remediationRole(event.account);

      expect(decide(event, 'vigil-remediation-role-misused')).toMatchObject({
        kind: 'alert',
        severity: 'critical',
        detection: { id: 'vigil-remediation-role-misused' },
      });
    });

    it('alerts "remediation role misused" for a failed attempt of the exact role', () => {
      const event = loadTriageEvent('sg-ingress-ssh-world');
      event.detail.userIdentity = remediationRole(event.account);
      event.detail.errorCode = 'Client.UnauthorizedOperation';

      expect(decide(event, 'vigil-remediation-role-misused')).toMatchObject({
        kind: 'alert',
        detection: { id: 'vigil-remediation-role-misused' },
      });
    });

    it('does not drop a corrective call of the exact role when the issuer account differs from the event account', () => {
      const event = loadTriageEvent('revoke-ingress-by-remediation');
      event.detail.userIdentity = remediationRole('110000000006');

      expect(ownRemediationSession(event, ctx.predicateContext)).toBeUndefined();
    });

    describe("on vigil's own forwarding rules", () => {
      /** A catalog fixture of the vigil-rule detections, with `identity` as the caller. */
      const ruleEvent = (detectionId: string, fixture: string, identity: unknown) => {
        const event = loadEvent(detectionId, fixture) as any;
        event.detail.userIdentity = identity;
        return event;
      };

      it.each([
        [
          'a role named like the remediation role under an IAM path',
          session('arn:aws:iam::110000000006:role/ops/vigil-remediation', 's', '110000000006'),
        ],
        ['the exact remediation role (not a call it is for)', remediationRole('110000000006')],
      ])('alerts when a forwarding rule is deleted by %s', (_case, identity) => {
        const event = ruleEvent('events-vigil-rule-deleted-or-disabled', 'positive-delete-forwarding-rule', identity);

        expect(decide(event, 'events-vigil-rule-deleted-or-disabled')).toMatchObject({
          kind: 'alert',
          detection: { id: 'events-vigil-rule-deleted-or-disabled' },
        });
      });

      it("drops the remediation role's corrective PutTargets on a forwarding rule", () => {
        const event = ruleEvent(
          'events-vigil-rule-targets-changed',
          'negative-remediation-role',
          remediationRole('110000000006'),
        );

        expect(decide(event, 'events-vigil-rule-targets-changed')).toMatchObject({
          kind: 'drop',
          category: 'own-remediation',
        });
      });
    });

    it("follows the inventory's name prefix", () => {
      const acme = makeTriageContext({ ...TRIAGE_VIEW, namePrefix: 'acme' }, CATALOG, PREDICATES);

      expect(
        ownRemediationSession(loadTriageEvent('revoke-ingress-by-remediation'), acme.predicateContext),
      ).toBeUndefined();
    });
  });

  describe('failed calls', () => {
    it('drops a failed StopLogging: nothing changed', () => {
      const d = decideFixture('stop-logging-prod', (e) => {
        e.detail.errorCode = 'InvalidTrailNameException';
        e.detail.errorMessage = 'Unknown trail';
      });

      expect(d).toMatchObject({
        kind: 'drop',
        category: 'failed-call',
        reason: expect.stringContaining('InvalidTrailNameException'),
      });
    });

    it('alerts on a failed call when the detection is about failures', () => {
      expect(detection('api-access-denied-burst').aboutFailures).toBe(true);

      expect(decideFixture('describe-instances-denied').kind).toBe('alert');
    });
  });

  describe('dedupe keys', () => {
    it('gives the same keys to the same event delivered twice', () => {
      const a = alertOf(decideFixture('stop-logging-prod'));
      const b = alertOf(decideFixture('stop-logging-prod'));

      expect(b.keys).toEqual(a.keys);
    });

    it('keys another call on the same resource to the same resource but another event', () => {
      const first = alertOf(decideFixture('stop-logging-prod'));
      const again = alertOf(decide(anotherCall(loadTriageEvent('stop-logging-prod'), 2), 'cloudtrail-logging-stopped'));

      expect(again.keys.event).not.toBe(first.keys.event);
      expect(again.keys.resource).toBe(first.keys.resource);
      expect(again.repeatWindowSeconds).toBe(DEFAULT_REPEAT_WINDOW_SECONDS);
    });

    it('keys another resource apart', () => {
      const first = alertOf(decideFixture('stop-logging-prod'));
      const other = alertOf(
        decideFixture('stop-logging-prod', (e) => (e.detail.requestParameters.name = 'payments-archive')),
      );

      expect(other.keys.resource).not.toBe(first.keys.resource);
    });

    it('gives one alert per change: the catch-all detection yields to the specific one', () => {
      const policyChanged = decide(loadTriageEvent('attach-admin-policy-nonprod'), 'iam-policy-changed');
      const admin = alertOf(decideFixture('attach-admin-policy-nonprod'));

      expect(policyChanged).toMatchObject({ kind: 'drop', category: 'superseded' });
      expect(admin.detection.id).toBe('iam-admin-policy-attached');
    });

    it('still alerts the catch-all detection when nothing more specific fires', () => {
      const readOnly = loadTriageEvent('attach-admin-policy-nonprod');
      readOnly.detail.requestParameters.policyArn = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

      expect(alertOf(decide(readOnly, 'iam-policy-changed')).keys.event).toMatch(/^event#iam-policy-changed#/);
    });

    it('keeps keys short whatever the resource ids', () => {
      const d = alertOf(
        decideFixture('delete-bucket-pab-sandbox', (e) => (e.detail.requestParameters.bucketName = 'b'.repeat(2000))),
      );

      expect(d.keys.resource!.length).toBeLessThan(200);
    });

    it('uses the configured repeat window', () => {
      const context = makeTriageContext(TRIAGE_VIEW, CATALOG, PREDICATES, { repeatWindowSeconds: 60 });

      expect(
        alertOf(decide(loadTriageEvent('stop-logging-prod'), 'cloudtrail-logging-stopped', context))
          .repeatWindowSeconds,
      ).toBe(60);
    });
  });

  describe('bursts', () => {
    const burstOf = (event: any) => alertOf(decide(event, 'api-access-denied-burst')).burst!;
    const denied = loadTriageEvent('describe-instances-denied');
    const aggregate = detection('api-access-denied-burst').aggregate!;

    it("plans a counter per principal and window with the catalog's threshold", () => {
      const plan = burstOf(denied);

      expect(plan).toMatchObject({
        threshold: aggregate.threshold,
        windowSeconds: aggregate.windowSeconds,
        group: { account: '110000000008', 'detail.userIdentity.arn': 'arn:aws:iam::110000000008:user/svc-reporting' },
      });
      expect(plan.windowStart % aggregate.windowSeconds).toBe(0);
      expect(plan.windowStart * 1000).toBeLessThanOrEqual(Date.parse(denied.detail.eventTime));
      expect(plan.expiresAt).toBeGreaterThan(plan.windowStart + aggregate.windowSeconds);
    });

    it('counts other calls of the principal in the same window together', () => {
      const later = anotherCall(denied, 2, new Date(Date.parse(denied.detail.eventTime) + 1000).toISOString());

      expect(burstOf(later).key).toBe(burstOf(denied).key);
    });

    it('counts another principal apart', () => {
      const other = anotherCall(denied, 3);
      other.detail.userIdentity.arn = 'arn:aws:iam::110000000008:user/someone-else';

      expect(burstOf(other).key).not.toBe(burstOf(denied).key);
    });

    it('counts the next window apart', () => {
      const next = anotherCall(
        denied,
        4,
        new Date(Date.parse(denied.detail.eventTime) + aggregate.windowSeconds * 1000).toISOString(),
      );

      expect(burstOf(next).key).not.toBe(burstOf(denied).key);
    });

    it('does not plan a burst for a detection without aggregate', () => {
      expect(alertOf(decideFixture('stop-logging-prod')).burst).toBeUndefined();
    });
  });

  describe('tag lookup', () => {
    it('asks for the trail in its account and region', () => {
      expect(alertOf(decideFixture('stop-logging-prod')).tagLookup).toEqual({
        accountId: '110000000006',
        region: 'eu-west-1',
        arns: ['arn:aws:cloudtrail:eu-west-1:110000000006:trail/payments-audit'],
      });
    });

    it('does not ask for IAM roles, which the Tagging API cannot read', () => {
      const d = alertOf(decideFixture('attach-admin-policy-nonprod'));

      expect(d.event.resources).toEqual(['checkout-batch', 'arn:aws:iam::aws:policy/AdministratorAccess']);
      expect(d.tagLookup).toBeUndefined();
    });
  });

  it('keeps a 200 KB event to a bounded alert', () => {
    const d = alertOf(
      decideFixture('sg-ingress-ssh-world', (e) => {
        const ranges = e.detail.requestParameters.ipPermissions.items[0].ipRanges.items;
        for (let i = 0; i < 4000; i++)
          ranges.push({ cidrIp: `10.${i >> 8}.${i & 255}.0/24`, description: `office ${i}` });
        e.detail.userAgent = `aws-cli/2 ${'a'.repeat(10_000)}`;
        e.detail.requestParameters.extra = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
        expect(JSON.stringify(e).length).toBeGreaterThan(200_000);
      }),
    );

    expect(d.event.userAgent!.length).toBeLessThanOrEqual(512);
    expect(d.event.requestParameters['ipPermissions']!.length).toBeLessThanOrEqual(1000);
    expect(d.event.requestParameters['ipPermissions']!.endsWith('…')).toBe(true);
    expect(JSON.stringify(d.event).length).toBeLessThan(10_000);
  });
});

describe('effectiveSeverity', () => {
  it.each([
    ['info', 'prod', 'info'],
    ['low', 'prod', 'medium'],
    ['medium', 'prod', 'high'],
    ['high', 'prod', 'critical'],
    ['critical', 'prod', 'critical'],
    ['high', 'non-prod', 'high'],
    ['critical', 'sandbox', 'critical'],
    ['info', 'sandbox', 'info'],
  ] as const)('%s in %s is %s', (base, env, expected) => {
    expect(effectiveSeverity(base, env)).toBe(expected);
  });
});

describe('affectedResources', () => {
  it('names a bucket once although CloudTrail lists it by name and by ARN', () => {
    const event = loadTriageEvent('delete-bucket-pab-sandbox');

    expect(affectedResources(event)).toEqual([
      { id: 'alice-scratch-110000000011', arn: 'arn:aws:s3:::alice-scratch-110000000011' },
    ]);
  });

  it('builds the ARN of a security group from its id', () => {
    expect(affectedResources(loadTriageEvent('sg-ingress-ssh-world'))).toEqual([
      { id: 'sg-0f63fecfa17ef4fee', arn: 'arn:aws:ec2:eu-central-1:110000000007:security-group/sg-0f63fecfa17ef4fee' },
    ]);
  });

  it('takes the EventBridge resources list too', () => {
    const event = loadTriageEvent('root-create-key-pair');
    event.resources = ['arn:aws:iam::110000000006:user/breakglass'];

    expect(affectedResources(event)).toEqual([
      { id: 'arn:aws:iam::110000000006:user/breakglass', arn: 'arn:aws:iam::110000000006:user/breakglass' },
    ]);
  });
});

describe('affectedResources by service', () => {
  /** A minimal event of `eventSource` with `requestParameters`, in 110000000006 / eu-west-1. */
  const call = (eventSource: string, requestParameters: unknown, awsRegion?: string): any => ({
    account: '110000000006',
    region: 'eu-west-1',
    detail: { eventSource, eventName: 'X', requestParameters, ...(awsRegion ? { awsRegion } : {}) },
  });

  it.each([
    [
      'a KMS key id',
      call('kms.amazonaws.com', { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab' }),
      [
        {
          id: '1234abcd-12ab-34cd-56ef-1234567890ab',
          arn: 'arn:aws:kms:eu-west-1:110000000006:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        },
      ],
    ],
    ['a KMS alias (no fixed ARN)', call('kms.amazonaws.com', { keyId: 'alias/payments' }), [{ id: 'alias/payments' }]],
    [
      'a rule on a custom bus',
      call('events.amazonaws.com', { name: 'vigil-fwd-global-1', eventBusName: 'ops' }),
      [{ id: 'vigil-fwd-global-1', arn: 'arn:aws:events:eu-west-1:110000000006:rule/ops/vigil-fwd-global-1' }],
    ],
    [
      'a rule on the default bus',
      call('events.amazonaws.com', { name: 'r', eventBusName: 'default' }),
      [{ id: 'r', arn: 'arn:aws:events:eu-west-1:110000000006:rule/r' }],
    ],
    [
      'a GuardDuty detector',
      call('guardduty.amazonaws.com', { detectorId: 'd1' }, 'us-east-1'),
      [{ id: 'd1', arn: 'arn:aws:guardduty:us-east-1:110000000006:detector/d1' }],
    ],
    ['a Config recorder', call('config.amazonaws.com', { configurationRecorderName: 'default' }), [{ id: 'default' }]],
    [
      'a trail by trailName',
      call('cloudtrail.amazonaws.com', { trailName: 'audit' }),
      [{ id: 'audit', arn: 'arn:aws:cloudtrail:eu-west-1:110000000006:trail/audit' }],
    ],
    [
      'a security group rule change',
      call('ec2.amazonaws.com', { ModifySecurityGroupRulesRequest: { GroupId: 'sg-1' } }),
      [{ id: 'sg-1', arn: 'arn:aws:ec2:eu-west-1:110000000006:security-group/sg-1' }],
    ],
    [
      'an IAM user and group',
      call('iam.amazonaws.com', { userName: 'bob', groupName: 'admins' }),
      [
        { id: 'bob', arn: 'arn:aws:iam::110000000006:user/bob' },
        { id: 'admins', arn: 'arn:aws:iam::110000000006:group/admins' },
      ],
    ],
    ['a service vigil does not key', call('sqs.amazonaws.com', { queueUrl: 'https://sqs' }), []],
    ['null parameters', call('s3.amazonaws.com', null), []],
    ['a non-string id', call('s3.amazonaws.com', { bucketName: 42 }), []],
  ])('keys %s', (_case, event, expected) => {
    expect(affectedResources(event)).toEqual(expected);
  });

  it(`keeps at most ${20} resources`, () => {
    const event = call('s3.amazonaws.com', {});
    event.resources = Array.from({ length: 30 }, (_, i) => `arn:aws:s3:::bucket-${i}`);

    expect(affectedResources(event)).toHaveLength(20);
  });
});

describe('triageMessage without the envelope check', () => {
  it('alerts on an account the inventory does not list: default owner, catalog severity, no remediation', () => {
    const event = loadTriageEvent('stop-logging-prod');
    event.account = '999999999999';

    const d = triageMessage({ detectionId: 'cloudtrail-logging-stopped', event }, ctx);

    expect(d).toMatchObject({
      kind: 'alert',
      severity: 'critical',
      account: { name: '999999999999 (not onboarded)', environment: 'non-prod', ouId: '' },
      unreadable: 'the account is not onboarded',
      notes: [expect.stringMatching(/^Account 999999999999 is not in vigil's inventory/)],
    });
  });

  it('alerts on a matched event without userIdentity, with a note, and withholds remediation', () => {
    const event = loadTriageEvent('stop-logging-prod');
    (event.detail as any).userIdentity = null;

    expect(triageMessage({ detectionId: 'cloudtrail-logging-stopped', event }, ctx)).toMatchObject({
      kind: 'alert',
      unreadable: 'the event is malformed (no userIdentity)',
      notes: [expect.stringMatching(/^Malformed event: detail.userIdentity/)],
    });
  });

  it('alerts when a predicate throws on the event, and a superseding detection whose predicate throws does not fire', () => {
    const throwing = makeTriageContext(TRIAGE_VIEW, CATALOG, {
      ...PREDICATES,
      inlinePolicyGrantsAdmin: () => {
        throw new Error('cannot read policyDocument');
      },
    });
    const event = loadTriageEvent('attach-admin-policy-nonprod');
    event.detail.eventName = 'PutRolePolicy';
    event.detail.requestParameters = { roleName: 'r', policyName: 'p', policyDocument: '{' };

    expect(triageMessage({ detectionId: 'iam-inline-policy-grants-admin', event }, throwing)).toMatchObject({
      kind: 'alert',
      unreadable: 'predicate inlinePolicyGrantsAdmin could not read the event',
      notes: [expect.stringContaining('cannot read policyDocument')],
    });
    expect(triageMessage({ detectionId: 'iam-policy-changed', event }, throwing)).toMatchObject({ kind: 'alert' });
  });

  it('describes an event with few facts without failing', () => {
    const event = loadTriageEvent('root-create-key-pair');
    event.detail.userIdentity = { type: 'Root', invokedBy: undefined };
    delete event.detail.awsRegion;
    delete event.detail.sourceIPAddress;
    delete event.detail.userAgent;

    const d = alertOf(triageMessage({ detectionId: 'root-activity', event }, ctx));

    expect(d.event).toMatchObject({ awsRegion: event.region, actor: { type: 'Root' } });
    expect(d.event).not.toHaveProperty('sourceIPAddress');
    expect(d.event).not.toHaveProperty('userAgent');
    expect(d.event.actor).not.toHaveProperty('arn');
  });

  it('finds no remediation session without a userIdentity', () => {
    const event = loadTriageEvent('revoke-ingress-by-remediation');
    delete event.detail.userIdentity;

    expect(ownRemediationSession(event, ctx.predicateContext)).toBeUndefined();
  });
});

describe('valueAt', () => {
  const event = { account: '1', detail: { userIdentity: { arn: 'a' }, list: [1], none: null } };

  it.each([
    ['account', '1'],
    ['detail.userIdentity.arn', 'a'],
    ['detail.list', '[1]'],
    ['detail.missing.deeper', ''],
    ['detail.constructor', ''],
    ['detail.none', ''],
  ])('reads %s as %j', (path, expected) => {
    expect(valueAt(event, path)).toBe(expected);
  });
});

describe('flattenParameters', () => {
  it('keeps strings, renders other values as JSON and notes what it leaves out', () => {
    const params = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${i}`, i === 0 ? 'text' : { n: i }]));

    const out = flattenParameters(params);

    expect(out['k0']).toBe('text');
    expect(out['k1']).toBe('{"n":1}');
    expect(Object.keys(out)).toHaveLength(21);
    expect(out['…']).toBe('5 more parameters not shown');
  });

  it('returns nothing for null parameters', () => {
    expect(flattenParameters(null)).toEqual({});
  });

  it('shows parameters nested thousands of levels deep down to a bounded depth instead of throwing RangeError', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 20_000; i++) deep = [deep];

    const flat = flattenParameters({ name: 'trail', policy: deep });

    expect(flat['name']).toBe('trail');
    expect(flat['policy']).toMatch(/^\[\[\[.*"…"\]+$/);
  });

  it('alerts on such an event, noting that it was not read in full', () => {
    const event = loadTriageEvent('stop-logging-prod');
    let deep: unknown = 'x';
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    event.detail.requestParameters.tags = deep;

    const d = alertOf(triageMessage({ detectionId: 'cloudtrail-logging-stopped', event }, ctx));

    expect(d.unreadable).toMatch(/nests deeper than 64 levels/);
    expect(d.event.requestParameters['name']).toBe(event.detail.requestParameters.name);
  });
});

describe('routeAlert', () => {
  const base: AlertRouting = {
    slackChannel: '#security-alerts',
    slackWebhookRef: 'secretsmanager:vigil/slack/security',
    pagerdutyRoutingKeyRef: 'ssm:/vigil/pagerduty/security',
  };
  const config = {
    default: base,
    byOwner: {
      'payments-team': { slackChannel: '#payments-sec', slackWebhookRef: 'secretsmanager:vigil/slack/payments' },
    },
  } as const;

  it("sends an owner's alerts to its channel and keeps the default pager", () => {
    expect(routeAlert('payments-team', 'critical', config)).toEqual({
      slackChannel: '#payments-sec',
      slackWebhookRef: 'secretsmanager:vigil/slack/payments',
      pagerdutyRoutingKeyRef: 'ssm:/vigil/pagerduty/security',
    });
  });

  it("keeps an owner's own webhook rather than posting to the default's bot channel", () => {
    const withBot = {
      ...config,
      default: { ...base, slackBotTokenRef: 'secretsmanager:vigil/slack/bot', slackChannelId: 'C0123ABCD' },
    } as const;
    expect(routeAlert('payments-team', 'critical', withBot)).toEqual({
      slackChannel: '#payments-sec',
      slackWebhookRef: 'secretsmanager:vigil/slack/payments',
      pagerdutyRoutingKeyRef: 'ssm:/vigil/pagerduty/security',
    });
    expect(routeAlert('someone', 'critical', withBot)).toMatchObject({ slackChannelId: 'C0123ABCD' });
  });

  it('sends an unknown owner to the default routing', () => {
    expect(routeAlert('someone', 'critical', config)).toEqual(base);
  });

  it('does not page below the minimum severity', () => {
    expect(routeAlert('someone', 'medium', config)).toEqual({
      slackChannel: '#security-alerts',
      slackWebhookRef: 'secretsmanager:vigil/slack/security',
    });
  });

  it('honours a configured paging floor', () => {
    expect(routeAlert('someone', 'medium', { ...config, pagerDutyMinSeverity: 'medium' })).toEqual(base);
  });

  it('pages anyway when PagerDuty is the only channel', () => {
    const only = { default: { pagerdutyRoutingKeyRef: 'ssm:/vigil/pd' } } as const;

    expect(routeAlert('someone', 'low', only)).toEqual({ pagerdutyRoutingKeyRef: 'ssm:/vigil/pd' });
  });
});

describe('buildAlert', () => {
  const routing: AlertRouting = { emailTopicArn: 'arn:aws:sns:eu-west-1:110000000003:vigil-alerts' };
  const owner: OwnerResolution = {
    owner: 'payments-team',
    source: 'account-tag',
    detail: 'tag owner of account payments-prod',
  };

  it('builds the alert of a decision', () => {
    const decision = alertOf(decideFixture('stop-logging-prod'));

    const alert = buildAlert(decision, owner, routing);

    expect(alert).toEqual({
      detection: {
        id: 'cloudtrail-logging-stopped',
        title: detection('cloudtrail-logging-stopped').title,
        severity: 'critical',
        rationale: detection('cloudtrail-logging-stopped').rationale,
        compliance: detection('cloudtrail-logging-stopped').compliance,
      },
      event: decision.event,
      owner: 'payments-team',
      routing,
      remediation: { mode: 'auto', state: 'in-progress', detail: expect.stringContaining('restart-trail-logging') },
      links: {
        cloudTrailEvent:
          'https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/0d3b9c2a-6f41-4e8b-b7a5-1c9e2d4f6a01',
      },
    });
  });

  it('explains a raised severity', () => {
    const alert = buildAlert(
      alertOf(decideFixture('attach-admin-policy-nonprod', moveTo('110000000006'))),
      owner,
      routing,
    );

    expect(alert.detection.severity).toBe('critical');
    expect(alert.detection.rationale).toMatch(/Severity raised from high: the account is production\.$/);
  });

  it('says when the owner is a fallback', () => {
    const alert = buildAlert(
      alertOf(decideFixture('stop-logging-prod')),
      { ...owner, caveat: 'resource tags unavailable (AccessDenied)' },
      routing,
    );

    expect(alert.owner).toBe('payments-team (resource tags unavailable (AccessDenied))');
  });

  it('titles a burst alert with its count and window', () => {
    const decision = alertOf(decideFixture('describe-instances-denied'));
    const { threshold, windowSeconds } = decision.burst!;

    const alert = buildAlert(decision, owner, routing, { count: threshold });

    expect(alert.detection.title).toBe(
      `${detection('api-access-denied-burst').title}: ${threshold} events within ${describeSeconds(windowSeconds)}`,
    );
  });

  it('titles a first-event burst alert with the folding window', () => {
    const alert = buildAlert(alertOf(decideFixture('root-create-key-pair')), owner, routing, { count: 1 });

    expect(alert.detection.title).toBe('Root user activity (repeats within 1 h are folded into this alert)');
  });

  it('asks Slack for the verdict buttons only when the routing says clicks can be verified', () => {
    const decision = alertOf(decideFixture('describe-instances-denied'));

    expect(buildAlert(decision, owner, routing, undefined, { verdictButtons: true }).verdictButtons).toBe(true);
    expect(buildAlert(decision, owner, routing)).not.toHaveProperty('verdictButtons');
  });

  it('marks a detection without remediation as notify-only', () => {
    const alert = buildAlert(alertOf(decideFixture('describe-instances-denied')), owner, routing);

    expect(alert.remediation).toEqual({ mode: 'notify', state: 'none' });
  });
});

describe('describeSeconds', () => {
  it.each([
    [3600, '1 h'],
    [900, '15 min'],
    [90, '90 s'],
  ])('%d seconds read as %s', (s, text) => {
    expect(describeSeconds(s)).toBe(text);
  });
});

describe('makeTriageContext', () => {
  it('fails when a detection names a predicate that does not exist', () => {
    const broken = [{ ...detection('iam-inline-policy-grants-admin'), predicate: 'noSuchPredicate' }];

    expect(() => makeTriageContext(TRIAGE_VIEW, broken, PREDICATES)).toThrow(/names predicate 'noSuchPredicate'/);
  });

  it('fails when a pattern is not valid', () => {
    const broken = [{ ...detection('cloudtrail-logging-stopped'), pattern: { detail: { eventName: [] } } }];

    expect(() => makeTriageContext(TRIAGE_VIEW, broken, PREDICATES)).toThrow(
      /^detection cloudtrail-logging-stopped: .*not a valid EventBridge/,
    );
  });
});
