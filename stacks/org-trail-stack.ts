import { Cloudtrail } from '../framework/aws';
import { OrganizationsPolicy } from '../framework/aws';
import { OrganizationsPolicyAttachment } from '../framework/aws';
import type { Construct } from 'constructs';
import type { OrgInventory } from '../config/inventory';
import type { RemediationConfig } from '../config/remediation';
import { trailBucketName, trailKeyAliasArn, trailName } from '../config/naming';
import { guardrailScps } from './guardrail-scp';
import { VigilStack } from './vigil-stack';

export { SCP_MAX_LENGTH } from './guardrail-scp';

export interface OrgTrailStackProps {
  readonly inventory: OrgInventory;
  /** The guardrail protects its kill switch parameter (config/remediation.json). */
  readonly remediation: Pick<RemediationConfig, 'killSwitchParameter'>;
}

/**
 * The management account: the organization trail and the guardrail SCPs (stacks/guardrail-scp.ts) that
 * keep member, security and log-archive administrators away from vigil's pipeline.
 *
 * Prerequisite (once per organization, outside Terraform): trusted access for CloudTrail
 * (`aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com`)
 * and the SERVICE_CONTROL_POLICY policy type enabled on the root.
 */
export class OrgTrailStack extends VigilStack {
  constructor(scope: Construct, id: string, props: OrgTrailStackProps) {
    const inv = props.inventory;
    super(scope, id, { inventory: inv, accountId: inv.managementAccountId, component: 'org-trail' });
    const provider = this.provider;

    new Cloudtrail(this, 'org-trail', {
      provider,
      name: trailName(inv),
      s3BucketName: trailBucketName(inv),
      // The key lives in the log-archive account; its ARN is random, the alias ARN is derived.
      kmsKeyId: trailKeyAliasArn(inv),
      isOrganizationTrail: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      enableLogging: true,
    });

    // The first policy keeps the construct ids of the single SCP it replaces (an in-place update);
    // further ones are new resources `guardrail-scp-<n>` with attachments `guardrail-scp-<n>-<target>`.
    const scps = guardrailScps({ inventory: inv, killSwitchParameter: props.remediation.killSwitchParameter });
    scps.forEach((content, i) => {
      const id = i === 0 ? 'guardrail-scp' : `guardrail-scp-${i + 1}`;
      const scp = new OrganizationsPolicy(this, id, {
        provider,
        name: i === 0 ? `${inv.namePrefix}-protect-pipeline` : `${inv.namePrefix}-protect-pipeline-${i + 1}`,
        description: `Denies changes to ${inv.namePrefix}'s pipeline except by its deploy role (part ${i + 1} of ${scps.length})`,
        type: 'SERVICE_CONTROL_POLICY',
        content,
      });
      for (const target of [...inv.scpTargets].sort()) {
        new OrganizationsPolicyAttachment(this, `${id}-${target}`, { provider, policyId: scp.id, targetId: target });
      }
    });
  }
}
