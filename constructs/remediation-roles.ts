import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { policyDocument, type Statement } from './policy-document';

export interface RemediationRolesProps {
  /** The member account the roles live in. */
  readonly accountId: string;
  readonly organizationId: string;
  /** Name of the role the central remediation function assumes. */
  readonly remediationRoleName: string;
  /** Name of the read-only role used for enrichment and re-verification. */
  readonly readOnlyRoleName: string;
  /**
   * Exact ARN of the central role that makes member changes (remediate-member): the only principal the
   * remediation and undo roles trust.
   */
  readonly remediatorRoleArn: string;
  /** Exact ARNs of the central roles that may read (triage, remediate-member). */
  readonly readerRoleArns: readonly string[];
  /** Mutating IAM actions, the union of what the catalog's remediations declare. */
  readonly remediationActions: readonly string[];
  /** Read actions (describe/get/list, tags) the handlers use. */
  readonly readActions: readonly string[];
  /** Roles the remediation may pass (e.g. the forwarder role when it restores a rule target). */
  readonly passRoleArns?: readonly string[];
  /** Name of the approval-only undo role. */
  readonly undoRoleName: string;
  /** Actions undo needs (re-attach, stop logging, …): a separate role, assumed only for approved undos. */
  readonly undoActions: readonly string[];
  /** @default - the stack's default AWS provider */
  readonly provider?: TerraformProvider;
}

/**
 * Resource scopes per IAM action where AWS supports resource-level permissions (Service
 * Authorization Reference). `{account}` is replaced with the member account id. Actions not listed
 * here (e.g. s3:PutAccountPublicAccessBlock, config:StartConfigurationRecorder) only accept `*`.
 */
const RESOURCE_SCOPES: Readonly<Record<string, readonly string[]>> = {
  'ec2:RevokeSecurityGroupIngress': ['arn:aws:ec2:*:{account}:security-group/*'],
  'ec2:AuthorizeSecurityGroupIngress': ['arn:aws:ec2:*:{account}:security-group/*'],
  's3:PutBucketPublicAccessBlock': ['arn:aws:s3:::*'],
  's3:GetBucketPublicAccessBlock': ['arn:aws:s3:::*'],
  'iam:SetDefaultPolicyVersion': ['arn:aws:iam::{account}:policy/*'],
  'iam:DetachUserPolicy': ['arn:aws:iam::{account}:user/*'],
  'iam:AttachUserPolicy': ['arn:aws:iam::{account}:user/*'],
  'iam:DetachRolePolicy': ['arn:aws:iam::{account}:role/*'],
  'iam:AttachRolePolicy': ['arn:aws:iam::{account}:role/*'],
  'iam:DetachGroupPolicy': ['arn:aws:iam::{account}:group/*'],
  'iam:AttachGroupPolicy': ['arn:aws:iam::{account}:group/*'],
  'cloudtrail:StartLogging': ['arn:aws:cloudtrail:*:{account}:trail/*'],
  'cloudtrail:StopLogging': ['arn:aws:cloudtrail:*:{account}:trail/*'],
  'kms:CancelKeyDeletion': ['arn:aws:kms:*:{account}:key/*'],
  'kms:EnableKey': ['arn:aws:kms:*:{account}:key/*'],
  'kms:ScheduleKeyDeletion': ['arn:aws:kms:*:{account}:key/*'],
};

/** Scopes for vigil's own rules: the remediation role may only restore those. */
const eventsRuleScope = (prefix: string) => [`arn:aws:events:*:{account}:rule/${prefix}-fwd-*`];

/**
 * The member account's three vigil roles: remediation (the mutations the catalog declares, trusted
 * by exactly one central role), undo (what re-opens a fix, assumed only for an approved undo) and
 * read-only (enrichment and re-verification). Kept apart so reading never carries the power to
 * change anything and an automatic fix never carries the power to undo one.
 */
export class RemediationRoles extends Construct {
  readonly remediationRole: IamRole;
  readonly readOnlyRole: IamRole;
  readonly undoRole: IamRole;

  constructor(scope: Construct, id: string, props: RemediationRolesProps) {
    super(scope, id);
    const { provider } = props;
    const prefix = props.remediationRoleName.replace(/-remediation$/, '');
    if (props.remediationActions.length === 0) {
      throw new Error(
        `RemediationRoles at '${this.node.path}': remediationActions is empty; does the catalog declare none?`,
      );
    }

    const passRole: Statement[] =
      props.passRoleArns && props.passRoleArns.length > 0
        ? [{ Sid: 'PassForwarderRoleOnly', Effect: 'Allow', Action: 'iam:PassRole', Resource: [...props.passRoleArns] }]
        : [];
    const role = (id: string, spec: RoleSpec): IamRole => {
      const r = new IamRole(this, id, {
        provider,
        name: spec.name,
        description: spec.description,
        maxSessionDuration: 3600,
        assumeRolePolicy: trust(spec.trustSid, spec.trustedBy, props.organizationId),
      });
      new IamRolePolicy(this, `${id}-policy`, {
        provider,
        name: spec.policyName,
        role: r.id,
        policy: policyDocument([
          ...scopedStatements(spec.sidPrefix, spec.actions, props.accountId, prefix),
          ...(spec.passRole ? passRole : []),
        ]),
      });
      return r;
    };

    this.remediationRole = role('remediation', {
      name: props.remediationRoleName,
      description: 'vigil remediation: assumed only by the central remediate-member function',
      trustSid: 'CentralRemediatorOnly',
      trustedBy: [props.remediatorRoleArn],
      policyName: 'catalog-remediations',
      sidPrefix: 'Remediate',
      actions: props.remediationActions,
      passRole: true,
    });
    // Undo re-opens what a remediation closed, so it never shares the automatic role's session.
    this.undoRole = role('undo', {
      name: props.undoRoleName,
      description: 'vigil undo: assumed by the central remediate-member function only for an approved undo',
      trustSid: 'CentralRemediatorOnly',
      trustedBy: [props.remediatorRoleArn],
      policyName: 'approved-undo',
      sidPrefix: 'Undo',
      actions: props.undoActions,
      passRole: true,
    });
    this.readOnlyRole = role('read-only', {
      name: props.readOnlyRoleName,
      description: 'vigil read-only: tags and describe calls for enrichment and verification',
      trustSid: 'CentralReadersOnly',
      trustedBy: props.readerRoleArns,
      policyName: 'read-only',
      sidPrefix: 'Read',
      actions: props.readActions,
      passRole: false,
    });
  }
}

interface RoleSpec {
  readonly name: string;
  readonly description: string;
  readonly trustSid: string;
  readonly trustedBy: readonly string[];
  readonly policyName: string;
  readonly sidPrefix: string;
  readonly actions: readonly string[];
  readonly passRole: boolean;
}

function trust(sid: string, principals: readonly string[], organizationId: string): string {
  return policyDocument([
    {
      Sid: sid,
      Effect: 'Allow',
      Principal: { AWS: principals.length === 1 ? principals[0]! : [...principals] },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': organizationId } },
    },
  ]);
}

/** Groups actions by resource scope into few statements, sorted for deterministic output. */
function scopedStatements(
  sidPrefix: string,
  actions: readonly string[],
  accountId: string,
  prefix: string,
): Statement[] {
  const byScope = new Map<string, string[]>();
  for (const action of [...new Set(actions)].sort()) {
    const scopes = action.startsWith('events:') ? eventsRuleScope(prefix) : (RESOURCE_SCOPES[action] ?? ['*']);
    const key = JSON.stringify(scopes.map((s) => s.replace('{account}', accountId)));
    byScope.set(key, [...(byScope.get(key) ?? []), action]);
  }
  return [...byScope.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, acts], i) => ({
      Sid: `${sidPrefix}${i + 1}`,
      Effect: 'Allow' as const,
      Action: acts,
      Resource: JSON.parse(key) as string[],
    }));
}
