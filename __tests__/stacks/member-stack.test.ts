import { Testing } from '../../framework/cdktf';
import { forwardingPatterns, GLOBAL_EVENT_SOURCES } from '../../rules/patterns';
import { CATALOG } from '../../rules/catalog';
import { MemberStack } from '../../stacks/member-stack';
import { remediationPermissions, CENTRAL_BUS_ONLY_ACTIONS } from '../../derive/remediation-permissions';
import { TEST_INVENTORY } from '../fixtures/inventory';
import { onlyResource, policyOf, resourcesOfType, synthJson } from '../helpers/synth';
import { REMEDIATIONS } from '../../handlers/core/remediation/registry';

const patterns = forwardingPatterns(CATALOG);
const memberTf = (index: number) =>
  synthJson(
    new MemberStack(Testing.app(), `member-${TEST_INVENTORY.accounts[index]!.id}`, {
      inventory: TEST_INVENTORY,
      account: TEST_INVENTORY.accounts[index]!,
      patterns,
      permissions: remediationPermissions(CATALOG),
    }),
  );
const tf = memberTf(3); // payments-prod, all three org regions
const BUS_ARN = 'arn:aws:events:eu-west-1:333333333333:event-bus/vigil-security';

type Placement = { region: string; name: string; key: string; state: string; pattern: string };
/** The for_each placements, each with its pattern resolved from the `patterns` local as Terraform would. */
const placements = (json: any): Record<string, Placement> => {
  const rule = onlyResource(json, 'aws_cloudwatch_event_rule');
  const [, localName] = /^\$\{local\.([\w]+)\[each\.value\.key\]\}$/.exec(rule.event_pattern) ?? [];
  const patternsLocal = json['locals'][localName!];
  return Object.fromEntries(
    Object.entries(rule.for_each as Record<string, Omit<Placement, 'pattern'>>).map(([k, p]) => [
      k,
      { ...p, pattern: patternsLocal[p.key] as string },
    ]),
  );
};

describe('MemberStack', () => {
  it('deploys into its own account through one provider', () => {
    expect(tf['provider']['aws']).toHaveLength(1);
    expect(tf['provider']['aws'][0].allowed_account_ids).toEqual(['444444444444']);
    expect(tf['provider']['aws'][0].assume_role[0].role_arn).toBe('arn:aws:iam::444444444444:role/vigil-deploy');
  });

  it('places each rule with the resource region argument', () => {
    const rule = onlyResource(tf, 'aws_cloudwatch_event_rule');
    expect(rule.region).toBe('${each.value.region}');
    expect(rule.event_pattern).toMatch(/^\$\{local\.forwarding_patterns_\w+\[each\.value\.key\]\}$/);
    const target = onlyResource(tf, 'aws_cloudwatch_event_target');
    expect(target.region).toBe('${each.value.region}');
    expect(target.for_each).toMatch(/^\$\{aws_cloudwatch_event_rule\..+\}$/);
  });

  it('forwards regional patterns from every enabled region and global ones from us-east-1 only', () => {
    const byRegion = new Map<string, string[]>();
    for (const p of Object.values(placements(tf))) byRegion.set(p.region, [...(byRegion.get(p.region) ?? []), p.name]);
    expect([...byRegion.keys()].sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2']);
    const regional = patterns.filter((p) => p.scope === 'regional').map((p) => `vigil-fwd-${p.key}`);
    const global = patterns.filter((p) => p.scope === 'global').map((p) => `vigil-fwd-${p.key}`);
    expect(global.length).toBeGreaterThan(0);
    expect(byRegion.get('us-east-1')!.sort()).toEqual([...regional, ...global].sort());
    expect(byRegion.get('eu-west-1')!.sort()).toEqual([...regional].sort());
    expect(byRegion.get('us-west-2')!.sort()).toEqual([...regional].sort());
  });

  it('never forwards IAM or Organizations events outside us-east-1', () => {
    for (const p of Object.values(placements(tf))) {
      if (p.region === 'us-east-1') continue;
      for (const source of GLOBAL_EVENT_SOURCES) expect(p.pattern).not.toContain(source);
    }
  });

  it('writes each derived pattern once, verbatim', () => {
    const locals = Object.values(tf['locals'] as Record<string, Record<string, string>>);
    expect(locals).toHaveLength(1);
    expect(Object.keys(locals[0]!).sort()).toEqual(patterns.map((p) => p.key).sort());
    for (const [key, p] of Object.entries(placements(tf))) {
      const pattern = patterns.find((fp) => key === `${p.region}/${fp.key}`);
      expect(pattern).toBeDefined();
      expect(JSON.parse(p.pattern)).toEqual(pattern!.pattern);
      expect(p.state).toBe(pattern!.state);
    }
  });

  it('honours the per-account region override', () => {
    const sandbox = placements(memberTf(4));
    expect(new Set(Object.values(sandbox).map((p) => p.region))).toEqual(new Set(['us-east-1']));
  });

  it('targets the central bus through the forwarder role, with retries', () => {
    const target = onlyResource(tf, 'aws_cloudwatch_event_target');
    expect(target.arn).toBe(BUS_ARN);
    expect(target.role_arn).toMatch(/^\$\{aws_iam_role\..+\.arn\}$/);
    expect(target.retry_policy).toEqual({ maximum_event_age_in_seconds: 86400, maximum_retry_attempts: 185 });
  });

  it('lets only EventBridge of this account assume the forwarder role', () => {
    const role = resourcesOfType(tf, 'aws_iam_role').find((r) => r.name === 'vigil-forwarder')!;
    expect(policyOf(role, 'assume_role_policy').Statement).toEqual([
      {
        Sid: 'EventBridgeOfThisAccountOnly',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': '444444444444' } },
      },
    ]);
  });

  it('allows the forwarder role nothing but PutEvents on the central bus', () => {
    const policy = resourcesOfType(tf, 'aws_iam_role_policy').find((p) => p.name === 'put-events-on-central-bus')!;
    expect(policyOf(policy).Statement).toEqual([
      { Sid: 'PutEventsOnCentralBusOnly', Effect: 'Allow', Action: 'events:PutEvents', Resource: BUS_ARN },
    ]);
  });

  describe('remediation and read-only roles', () => {
    const roles = resourcesOfType(tf, 'aws_iam_role');
    const policies = resourcesOfType(tf, 'aws_iam_role_policy');
    const remediation = roles.find((r) => r.name === 'vigil-remediation')!;
    const readOnly = roles.find((r) => r.name === 'vigil-readonly')!;
    const remediationPolicy = policyOf(policies.find((p) => p.name === 'catalog-remediations')!);
    const readPolicy = policyOf(policies.find((p) => p.name === 'read-only')!);
    /** Actions a policy allows (its protective Deny statements aside). */
    const actionsOf = (policy: { Statement: any[] }) =>
      policy.Statement.filter((st) => st.Effect === 'Allow')
        .flatMap((st) => [st.Action].flat())
        .sort();

    it('trusts exactly the central remediate-member function role, inside the organization', () => {
      expect(policyOf(remediation, 'assume_role_policy').Statement).toEqual([
        {
          Sid: 'CentralRemediatorOnly',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::333333333333:role/vigil-remediate-member' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-test123456' } },
        },
      ]);
    });

    it('grants the union of the IAM actions the catalog remediations declare, and nothing else', () => {
      const used = new Set(CATALOG.flatMap((d) => (d.remediation ? [d.remediation.action] : [])));
      const declared = [...new Set([...used].flatMap((id) => REMEDIATIONS[id].iamActions))].sort();
      // The central bus lives in the security account: only its roles get the bus-policy actions. iam:PassRole is
      // granted in two statements (the forwarder role to EventBridge, Config's service-linked role to Config).
      expect([...new Set(actionsOf(remediationPolicy))]).toEqual(
        declared.filter((a) => !CENTRAL_BUS_ONLY_ACTIONS.includes(a)),
      );
      expect(actionsOf(remediationPolicy)).not.toContain('iam:CreateUser');
    });

    it('scopes actions to the member account and to vigil rules where AWS allows', () => {
      const resourcesOf = (action: string) =>
        remediationPolicy.Statement.filter(
          (st) => st.Effect === 'Allow' && [st.Action].flat().includes(action),
        ).flatMap((st) => [st.Resource].flat());
      expect(resourcesOf('ec2:RevokeSecurityGroupIngress')).toEqual(['arn:aws:ec2:*:444444444444:security-group/*']);
      expect(resourcesOf('events:PutTargets')).toEqual(['arn:aws:events:*:444444444444:rule/vigil-fwd-*']);
      expect(resourcesOf('iam:SetDefaultPolicyVersion')).toEqual(['arn:aws:iam::444444444444:policy/*']);
      expect(resourcesOf('iam:PassRole')).toEqual([
        'arn:aws:iam::444444444444:role/vigil-forwarder',
        'arn:aws:iam::444444444444:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig',
      ]);
      const passes = remediationPolicy.Statement.filter((st) => [st.Action].flat().includes('iam:PassRole'));
      expect(passes.map((st) => st.Condition)).toEqual([
        { StringEquals: { 'iam:PassedToService': 'events.amazonaws.com' } },
        { StringEquals: { 'iam:PassedToService': 'config.amazonaws.com' } },
      ]);
    });

    it('keeps reading separate: the read-only role has no mutating action and trusts triage and remediate-member', () => {
      const reads = actionsOf(readPolicy);
      expect(reads).toContain('tag:GetResources');
      for (const a of reads) expect(a).toMatch(/^[a-z0-9-]+:(Get|Describe|List|Lookup)/);
      expect(policyOf(readOnly, 'assume_role_policy').Statement[0].Principal).toEqual({
        AWS: ['arn:aws:iam::333333333333:role/vigil-remediate-member', 'arn:aws:iam::333333333333:role/vigil-triage'],
      });
    });

    it('keeps undo actions on a separate role trusted only by the central remediate-member function', () => {
      const undo = roles.find((r) => r.name === 'vigil-remediation-undo')!;
      expect(policyOf(undo, 'assume_role_policy').Statement[0]).toMatchObject({
        Principal: { AWS: 'arn:aws:iam::333333333333:role/vigil-remediate-member' },
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-test123456' } },
      });
      const undoActions = actionsOf(policyOf(policies.find((p) => p.name === 'approved-undo')!));
      expect(undoActions).toEqual(expect.arrayContaining(['iam:AttachRolePolicy', 'cloudtrail:StopLogging']));
      for (const a of ['iam:AttachRolePolicy', 'cloudtrail:StopLogging', 'ec2:AuthorizeSecurityGroupIngress']) {
        expect(actionsOf(remediationPolicy)).not.toContain(a);
      }
    });

    it('lets GuardDuty detectors be created but deleted only by undo, on detectors of this account, and grants no service-linked role', () => {
      const undoPolicy = policyOf(policies.find((p) => p.name === 'approved-undo')!);
      const resourcesIn = (policy: { Statement: any[] }, action: string) =>
        policy.Statement.filter((st) => st.Effect === 'Allow' && [st.Action].flat().includes(action)).flatMap((st) =>
          [st.Resource].flat(),
        );
      // CreateDetector has no resource type (Service Authorization Reference); DeleteDetector takes the detector.
      expect(resourcesIn(remediationPolicy, 'guardduty:CreateDetector')).toEqual(['*']);
      expect(actionsOf(remediationPolicy)).not.toContain('guardduty:DeleteDetector');
      expect(resourcesIn(undoPolicy, 'guardduty:DeleteDetector')).toEqual([
        'arn:aws:guardduty:*:444444444444:detector/*',
      ]);
      for (const policy of [remediationPolicy, undoPolicy, readPolicy]) {
        expect(actionsOf(policy)).not.toContain('iam:CreateServiceLinkedRole');
      }
    });
  });
});
