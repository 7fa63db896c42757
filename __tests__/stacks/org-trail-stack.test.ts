import { Testing } from '../../framework/cdktf';
import { guardrailProtections, guardrailScps, MAX_GUARDRAIL_SCPS, SCP_MAX_LENGTH } from '../../stacks/guardrail-scp';
import { OrgTrailStack } from '../../stacks/org-trail-stack';
import { inventoryWith, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';
import { onlyResource, resourcesOfType, synthJson } from '../helpers/synth';

const tf = synthJson(
  new OrgTrailStack(Testing.app(), 'org-trail', { inventory: TEST_INVENTORY, remediation: TEST_REMEDIATION }),
);

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

  describe('guardrail SCPs', () => {
    const scps = resourcesOfType(tf, 'aws_organizations_policy');
    const statements = scps.flatMap((p) => JSON.parse(p.content).Statement);

    it('are service control policies, each attached to every configured target', () => {
      expect(scps.length).toBeGreaterThan(0);
      for (const scp of scps) expect(scp.type).toBe('SERVICE_CONTROL_POLICY');
      const attachments = resourcesOfType(tf, 'aws_organizations_policy_attachment');
      expect(attachments).toHaveLength(scps.length * 2);
      expect([...new Set(attachments.map((a) => a.target_id))].sort()).toEqual(['ou-ab12-workload', 'r-ab12']);
    });

    it('keep the construct ids of the single SCP they replace (the first policy updates in place)', () => {
      expect(Object.keys(tf['resource']['aws_organizations_policy'])).toContain('guardrail-scp');
      expect(Object.keys(tf['resource']['aws_organizations_policy_attachment'])).toEqual(
        expect.arrayContaining(['guardrail-scp-ou-ab12-workload', 'guardrail-scp-r-ab12']),
      );
      expect(tf['resource']['aws_organizations_policy']['guardrail-scp'].name).toBe('vigil-protect-pipeline');
    });

    it('only deny (an SCP never grants)', () => {
      expect(statements.every((s: any) => s.Effect === 'Deny')).toBe(true);
    });

    it('render every protection once', () => {
      const protections = guardrailProtections({
        inventory: TEST_INVENTORY,
        killSwitchParameter: TEST_REMEDIATION.killSwitchParameter,
      });
      expect(statements.map((s: any) => s.Sid).sort()).toEqual(protections.map((p) => p.sid).sort());
    });

    it('fit in at most 4 policies, each under the SCP size limit, and say how close they are', () => {
      const lengths = scps.map((p) => p.content.length as number);
      // Printed so a reviewer sees the headroom: each policy's length against the 5,120-character limit.
      console.log(
        `guardrail SCPs: ${lengths.map((l, i) => `#${i + 1} ${l}/${SCP_MAX_LENGTH} (${SCP_MAX_LENGTH - l} left)`).join(', ')}`,
      );
      expect(scps.length).toBeLessThanOrEqual(MAX_GUARDRAIL_SCPS);
      for (const l of lengths) expect(l).toBeLessThanOrEqual(SCP_MAX_LENGTH);
    });

    it('do not grow with the organization: a 1,000-account inventory gives the same policies', () => {
      const big = inventoryWith((i) => {
        for (let n = 0; n < 1000; n++) {
          i.accounts.push({ id: String(600000000000 + n), name: `acct-${n}`, ou: 'ou-ab12-workload', tags: {} });
        }
      });
      const inputs = { killSwitchParameter: TEST_REMEDIATION.killSwitchParameter };
      expect(big.accounts.length).toBeGreaterThan(1000);
      expect(guardrailScps({ ...inputs, inventory: big })).toEqual(
        guardrailScps({ ...inputs, inventory: TEST_INVENTORY }),
      );
    });

    it('fit the longest allowed names in 4 policies', () => {
      const long = inventoryWith((i) => {
        i.namePrefix = 'abcdefghijkl';
        i.deployRoleName = 'd'.repeat(64);
        i.deployAdminPrincipalArns = [`arn:aws:iam::111111111111:role/${'c'.repeat(64)}`];
      });
      const scpsOfLong = guardrailScps({ inventory: long, killSwitchParameter: `/${'k'.repeat(200)}` });
      expect(scpsOfLong.length).toBeLessThanOrEqual(MAX_GUARDRAIL_SCPS);
      for (const p of scpsOfLong) expect(p.length).toBeLessThanOrEqual(SCP_MAX_LENGTH);
    });

    it('fails when one protection alone is over the limit', () => {
      const many = inventoryWith((i) => {
        i.deployAdminPrincipalArns = Array.from({ length: 150 }, (_, n) => `arn:aws:iam::111111111111:role/ci-${n}`);
      });
      expect(() => guardrailScps({ inventory: many, killSwitchParameter: '/k' })).toThrow(
        /DeployRole alone is over the 5120-character SCP limit; .*fewer deployAdminPrincipalArns/,
      );
    });

    it('fails when the protections need more than 4 policies', () => {
      const huge = inventoryWith((i) => {
        i.namePrefix = 'p'.repeat(64);
        i.deployAdminPrincipalArns = Array.from({ length: 100 }, (_, n) => `arn:aws:iam::111111111111:role/ci-${n}`);
      });
      expect(() => guardrailScps({ inventory: huge, killSwitchParameter: `/${'k'.repeat(2000)}` })).toThrow(
        /needs [5-9] SCPs; AWS allows 4 besides FullAWSAccess per target/,
      );
    });
  });
});
