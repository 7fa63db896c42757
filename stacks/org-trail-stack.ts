import { Cloudtrail } from '@cdktf/provider-aws/lib/cloudtrail';
import { OrganizationsPolicy } from '@cdktf/provider-aws/lib/organizations-policy';
import { OrganizationsPolicyAttachment } from '@cdktf/provider-aws/lib/organizations-policy-attachment';
import type { Construct } from 'constructs';
import type { OrgInventory } from '../config/inventory';
import {
  centralBusName,
  forwarderRoleName,
  readOnlyRoleName,
  remediationRoleName,
  remediationUndoRoleName,
  trailBucketName,
  trailKeyAliasArn,
  trailName,
} from '../config/naming';
import { policyDocument } from '../constructs/policy-document';
import { VigilStack } from './vigil-stack';

export interface OrgTrailStackProps {
  readonly inventory: OrgInventory;
}

/** AWS rejects service control policies larger than this (characters, whitespace included). */
export const SCP_MAX_LENGTH = 5120;

/**
 * The management account: the organization trail and the guardrail SCP that keeps member
 * administrators away from vigil's rules, roles and the trail.
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

    const scp = new OrganizationsPolicy(this, 'guardrail-scp', {
      provider,
      name: `${inv.namePrefix}-protect-pipeline`,
      description: `Denies changes to ${inv.namePrefix}'s forwarding rules, roles and organization trail except by its deploy role`,
      type: 'SERVICE_CONTROL_POLICY',
      content: guardrailScp(inv),
    });
    for (const target of [...inv.scpTargets].sort()) {
      new OrganizationsPolicyAttachment(this, `guardrail-scp-${target}`, {
        provider,
        policyId: scp.id,
        targetId: target,
      });
    }
  }
}

/**
 * The guardrail SCP. SCPs never apply to the management account itself (AWS behaviour), which is why
 * tampering is also a detection. The remediation role is exempt only from the statements that block
 * the repairs it makes (re-creating rules and targets); it can never delete or disable anything.
 */
export function guardrailScp(inv: OrgInventory): string {
  const p = inv.namePrefix;
  const deployRole = `arn:aws:iam::*:role/${inv.deployRoleName}`;
  const remediationRole = `arn:aws:iam::*:role/${remediationRoleName(inv)}`;
  const rules = [`arn:aws:events:*:*:rule/${p}-*`, `arn:aws:events:*:*:rule/${centralBusName(inv)}/${p}-*`];
  const policy = policyDocument([
    {
      Sid: 'DenyVigilRuleRemoval',
      Effect: 'Deny',
      Action: ['events:DeleteRule', 'events:DisableRule'],
      Resource: rules,
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [deployRole] } },
    },
    {
      Sid: 'DenyVigilRuleChanges',
      Effect: 'Deny',
      // The remediation role restores a tampered rule: re-put it, re-target it, drop foreign targets.
      Action: ['events:PutRule', 'events:PutTargets', 'events:RemoveTargets'],
      Resource: rules,
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [deployRole, remediationRole] } },
    },
    {
      Sid: 'DenyCentralBusChanges',
      Effect: 'Deny',
      Action: ['events:DeleteEventBus', 'events:PutPermission', 'events:RemovePermission', 'events:DeleteArchive'],
      Resource: [
        `arn:aws:events:*:*:event-bus/${centralBusName(inv)}`,
        `arn:aws:events:*:*:archive/${centralBusName(inv)}*`,
      ],
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [deployRole] } },
    },
    {
      Sid: 'DenyVigilRoleChanges',
      Effect: 'Deny',
      Action: [
        'iam:AttachRolePolicy',
        'iam:DeleteRole',
        'iam:DeleteRolePermissionsBoundary',
        'iam:DeleteRolePolicy',
        'iam:DetachRolePolicy',
        'iam:PutRolePermissionsBoundary',
        'iam:PutRolePolicy',
        'iam:UpdateAssumeRolePolicy',
        'iam:UpdateRole',
        'iam:UpdateRoleDescription',
        'iam:TagRole',
        'iam:UntagRole',
      ],
      Resource: [
        forwarderRoleName(inv),
        remediationRoleName(inv),
        remediationUndoRoleName(inv),
        readOnlyRoleName(inv),
      ].map((name) => `arn:aws:iam::*:role/${name}`),
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [deployRole] } },
    },
    {
      Sid: 'DenyVigilTrailChanges',
      Effect: 'Deny',
      Action: [
        'cloudtrail:DeleteTrail',
        'cloudtrail:PutEventSelectors',
        'cloudtrail:PutInsightSelectors',
        'cloudtrail:StopLogging',
        'cloudtrail:UpdateTrail',
      ],
      Resource: `arn:aws:cloudtrail:*:*:trail/${trailName(inv)}`,
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [deployRole] } },
    },
  ]);
  if (policy.length > SCP_MAX_LENGTH) {
    throw new Error(
      `guardrail SCP is ${policy.length} characters; AWS allows ${SCP_MAX_LENGTH}. Shorten namePrefix or deployRoleName.`,
    );
  }
  return policy;
}
