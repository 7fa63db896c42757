import { Testing } from 'cdktf';
import { guardrailScp, OrgTrailStack, SCP_MAX_LENGTH } from '../../stacks/org-trail-stack';
import { inventoryWith, TEST_INVENTORY } from '../fixtures/inventory';
import { onlyResource, resourcesOfType, statement, synthJson } from '../helpers/synth';

const tf = synthJson(new OrgTrailStack(Testing.app(), 'org-trail', { inventory: TEST_INVENTORY }));

describe('OrgTrailStack', () => {
  it('deploys into the management account only', () => {
    expect(tf['provider']['aws'][0].allowed_account_ids).toEqual(['111111111111']);
  });

  it('defines an organization-wide, multi-region trail with global events, log-file validation and KMS', () => {
    expect(onlyResource(tf, 'aws_cloudtrail')).toMatchObject({
      name: 'vigil-org-trail',
      is_organization_trail: true,
      is_multi_region_trail: true,
      include_global_service_events: true,
      enable_log_file_validation: true,
      enable_logging: true,
      s3_bucket_name: 'vigil-org-trail-222222222222-eu-west-1',
      kms_key_id: 'arn:aws:kms:eu-west-1:222222222222:alias/vigil-org-trail',
    });
  });

  describe('guardrail SCP', () => {
    const scp = onlyResource(tf, 'aws_organizations_policy');
    const policy = JSON.parse(scp.content);
    const deployRole = 'arn:aws:iam::*:role/vigil-deploy';

    it('is a service control policy attached to every configured target', () => {
      expect(scp.type).toBe('SERVICE_CONTROL_POLICY');
      const targets = resourcesOfType(tf, 'aws_organizations_policy_attachment').map((a) => a.target_id);
      expect(targets.sort()).toEqual(['ou-ab12-workload', 'r-ab12']);
    });

    it('only denies (an SCP never grants)', () => {
      expect(policy.Statement.every((s: any) => s.Effect === 'Deny')).toBe(true);
    });

    it('denies deleting or disabling vigil rules to all but the deploy role', () => {
      const s = statement(policy, 'DenyVigilRuleRemoval');
      expect(s.Action).toEqual(['events:DeleteRule', 'events:DisableRule']);
      expect(s.Resource).toContain('arn:aws:events:*:*:rule/vigil-*');
      expect(s.Condition).toEqual({ ArnNotLike: { 'aws:PrincipalArn': [deployRole] } });
    });

    it('lets the remediation role restore rules and targets, and nobody else but the deploy role', () => {
      const s = statement(policy, 'DenyVigilRuleChanges');
      expect(s.Action).toEqual(['events:PutRule', 'events:PutTargets', 'events:RemoveTargets']);
      expect(s.Condition).toEqual({
        ArnNotLike: { 'aws:PrincipalArn': [deployRole, 'arn:aws:iam::*:role/vigil-remediation'] },
      });
    });

    it('protects the forwarder, remediation, undo and read-only roles', () => {
      const s = statement(policy, 'DenyVigilRoleChanges');
      expect(s.Resource).toEqual([
        'arn:aws:iam::*:role/vigil-forwarder',
        'arn:aws:iam::*:role/vigil-remediation',
        'arn:aws:iam::*:role/vigil-remediation-undo',
        'arn:aws:iam::*:role/vigil-readonly',
      ]);
      expect(s.Action).toEqual(
        expect.arrayContaining(['iam:DeleteRole', 'iam:PutRolePolicy', 'iam:UpdateAssumeRolePolicy']),
      );
      expect(s.Condition).toEqual({ ArnNotLike: { 'aws:PrincipalArn': [deployRole] } });
    });

    it('denies stopping, deleting or updating the trail', () => {
      const s = statement(policy, 'DenyVigilTrailChanges');
      expect(s.Action).toEqual(
        expect.arrayContaining([
          'cloudtrail:StopLogging',
          'cloudtrail:DeleteTrail',
          'cloudtrail:UpdateTrail',
          'cloudtrail:PutEventSelectors',
        ]),
      );
      expect(s.Resource).toBe('arn:aws:cloudtrail:*:*:trail/vigil-org-trail');
      expect(s.Condition).toEqual({ ArnNotLike: { 'aws:PrincipalArn': [deployRole] } });
    });

    it('denies changing the central bus policy', () => {
      expect(statement(policy, 'DenyCentralBusChanges').Action).toEqual(
        expect.arrayContaining(['events:PutPermission', 'events:RemovePermission', 'events:DeleteEventBus']),
      );
    });

    it('stays under the SCP size limit', () => {
      expect(scp.content.length).toBeLessThanOrEqual(SCP_MAX_LENGTH);
    });

    it('fails when names make it exceed the limit', () => {
      const long = inventoryWith((i) => (i.deployRoleName = 'x'.repeat(64)));
      expect(() => guardrailScp({ ...long, namePrefix: 'p'.repeat(3000) })).toThrow(/AWS allows 5120/);
    });
  });
});
