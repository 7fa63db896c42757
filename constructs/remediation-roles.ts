import { IamPolicy } from '../framework/aws';
import { IamRole } from '../framework/aws';
import { IamRolePolicy } from '../framework/aws';
import type { TerraformProvider } from '../framework/cdktf';
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
  /**
   * The only target the remediation role may put on a rule (`events:TargetArn`): the central bus.
   * Undo may put back whatever target a remediation removed, so it is not limited by this.
   */
  readonly centralBusArn: string;
  /**
   * `iam:PolicyARN` patterns (ArnLike) the roles may attach or detach: the managed policies the catalog's
   * detections concern (detach-admin-policy detaches them, its undo re-attaches them), nothing else.
   */
  readonly attachablePolicyArns: readonly string[];
  /**
   * Names of roles in this account that no vigil role may change, attach to, or pass: vigil's own roles,
   * the deploy role, `OrganizationAccountAccessRole`. Exact names (a role name is unique in an account,
   * whatever its path).
   */
  readonly protectedRoleNames: readonly string[];
  /** Prefix of vigil's customer managed policies (`<prefix>-*`), which no vigil role may re-version. */
  readonly namePrefix: string;
  /**
   * Create the remediation and undo roles. Off in the management account unless the inventory opts in:
   * SCPs do not apply there, so nothing but these roles' own policies would bound them.
   * @default true
   */
  readonly changeRoles?: boolean;
  /**
   * Give the remediation and undo roles a permissions boundary that caps them to their declared actions
   * and denies every privilege grant (attach/put policy, new policy versions, trust changes, new
   * principals or credentials). Set for the management account, where no SCP bounds them.
   * @default false
   */
  readonly permissionsBoundary?: boolean;
  /** @default - the stack's default AWS provider */
  readonly provider?: TerraformProvider;
}

/**
 * Resource scopes per IAM action where AWS supports resource-level permissions (Service
 * Authorization Reference). `{account}` is replaced with the member account id. Actions not listed
 * here (e.g. s3:PutAccountPublicAccessBlock) only accept `*`.
 */
const RESOURCE_SCOPES: Readonly<Record<string, readonly string[]>> = {
  'ec2:RevokeSecurityGroupIngress': ['arn:aws:ec2:*:{account}:security-group/*'],
  'ec2:AuthorizeSecurityGroupIngress': ['arn:aws:ec2:*:{account}:security-group/*'],
  'ec2:CreateNetworkAclEntry': ['arn:aws:ec2:*:{account}:network-acl/*'],
  'ec2:DeleteNetworkAclEntry': ['arn:aws:ec2:*:{account}:network-acl/*'],
  'ec2:ReplaceNetworkAclEntry': ['arn:aws:ec2:*:{account}:network-acl/*'],
  'ec2:ModifyImageAttribute': ['arn:aws:ec2:*::image/*'],
  'ec2:ModifySnapshotAttribute': ['arn:aws:ec2:*::snapshot/*'],
  'rds:ModifyDBSnapshotAttribute': ['arn:aws:rds:*:{account}:snapshot:*'],
  'rds:ModifyDBClusterSnapshotAttribute': ['arn:aws:rds:*:{account}:cluster-snapshot:*'],
  'rds:DescribeDBSnapshotAttributes': ['arn:aws:rds:*:{account}:snapshot:*'],
  'rds:DescribeDBClusterSnapshotAttributes': ['arn:aws:rds:*:{account}:cluster-snapshot:*'],
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
  // Service Authorization Reference, AWS Config: both take the ConfigurationRecorder resource type.
  'config:StartConfigurationRecorder': ['arn:aws:config:*:{account}:configuration-recorder/*'],
  'config:StopConfigurationRecorder': ['arn:aws:config:*:{account}:configuration-recorder/*'],
  // Service Authorization Reference, GuardDuty: DeleteDetector takes the detector resource type (CreateDetector and
  // ListDetectors take none: `*`).
  'guardduty:DeleteDetector': ['arn:aws:guardduty:*:{account}:detector/*'],
  'kms:CancelKeyDeletion': ['arn:aws:kms:*:{account}:key/*'],
  'kms:EnableKey': ['arn:aws:kms:*:{account}:key/*'],
  'kms:ScheduleKeyDeletion': ['arn:aws:kms:*:{account}:key/*'],
  's3:GetBucketPolicy': ['arn:aws:s3:::*'],
  's3:PutBucketPolicy': ['arn:aws:s3:::*'],
  's3:DeleteBucketPolicy': ['arn:aws:s3:::*'],
  's3:GetBucketAcl': ['arn:aws:s3:::*'],
  's3:PutBucketAcl': ['arn:aws:s3:::*'],
  'iam:DeleteUserPolicy': ['arn:aws:iam::{account}:user/*'],
  'iam:PutUserPolicy': ['arn:aws:iam::{account}:user/*'],
  'iam:GetUserPolicy': ['arn:aws:iam::{account}:user/*'],
  'iam:DeleteRolePolicy': ['arn:aws:iam::{account}:role/*'],
  'iam:PutRolePolicy': ['arn:aws:iam::{account}:role/*'],
  'iam:GetRolePolicy': ['arn:aws:iam::{account}:role/*'],
  'iam:DeleteGroupPolicy': ['arn:aws:iam::{account}:group/*'],
  'iam:PutGroupPolicy': ['arn:aws:iam::{account}:group/*'],
  'iam:GetGroupPolicy': ['arn:aws:iam::{account}:group/*'],
  'iam:RemoveUserFromGroup': ['arn:aws:iam::{account}:group/*'],
  'iam:AddUserToGroup': ['arn:aws:iam::{account}:group/*'],
  'iam:UpdateAccessKey': ['arn:aws:iam::{account}:user/*'],
  // Bus policies: PutPermission and RemovePermission have no resource type (Service Authorization Reference).
  'events:DescribeEventBus': ['arn:aws:events:*:{account}:event-bus/*'],
  'events:PutPermission': ['*'],
  'events:RemovePermission': ['*'],
  'iam:DeleteLoginProfile': ['arn:aws:iam::{account}:user/*'],
  'iam:GetLoginProfile': ['arn:aws:iam::{account}:user/*'],
  'iam:ListAccessKeys': ['arn:aws:iam::{account}:user/*'],
};

/** The call that needs the Config service-linked role passed (recreate-config-recorder-or-channel). */
const CONFIG_RECORDER_PUT = 'config:PutConfigurationRecorder';

/** The account's AWS Config service-linked role, the only role the change roles may pass to Config. */
export const configServiceLinkedRoleArn = (accountId: string): string =>
  `arn:aws:iam::${accountId}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`;

/** Scopes for vigil's own rules: the remediation role may only restore those (other events actions: RESOURCE_SCOPES). */
const eventsRuleScope = (prefix: string) => [`arn:aws:events:*:{account}:rule/${prefix}-fwd-*`];

/** Managed-policy attach/detach: only the policies the catalog concerns (`iam:PolicyARN`). */
const POLICY_ARN_ACTIONS = new Set([
  'iam:AttachUserPolicy',
  'iam:AttachRolePolicy',
  'iam:AttachGroupPolicy',
  'iam:DetachUserPolicy',
  'iam:DetachRolePolicy',
  'iam:DetachGroupPolicy',
]);

/** S3 calls that accept `s3:ResourceAccount`: the bucket or account must be this member account's. */
const S3_ACCOUNT_ACTIONS = new Set([
  's3:PutBucketPublicAccessBlock',
  's3:PutAccountPublicAccessBlock',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutBucketAcl',
]);

/**
 * Every IAM call that changes a role (its policies, trust, boundary, existence): denied on the protected
 * roles, so no vigil role can widen itself, another vigil role, the deploy role or the org's admin role,
 * even where no SCP applies (the management account). iam:PassRole is not here: the change roles may pass
 * the forwarder role (a protected vigil role) to EventBridge, and nothing else.
 */
export const ROLE_CHANGING_ACTIONS: readonly string[] = [
  'iam:AttachRolePolicy',
  'iam:DeleteRole',
  'iam:DeleteRolePermissionsBoundary',
  'iam:DeleteRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:PutRolePolicy',
  'iam:TagRole',
  'iam:UntagRole',
  'iam:UpdateAssumeRolePolicy',
  'iam:UpdateRole',
  'iam:UpdateRoleDescription',
];

/**
 * Every IAM call that grants privilege to a principal or creates one (SetDefaultPolicyVersion can switch a
 * policy to a broader version): the management-account boundary denies them all, so there the undo of
 * detach-admin-policy and revert-policy-version are refused by IAM and left to a human.
 */
export const PRIVILEGE_GRANTING_ACTIONS: readonly string[] = [
  'iam:AddUserToGroup',
  'iam:AttachGroupPolicy',
  'iam:AttachRolePolicy',
  'iam:AttachUserPolicy',
  'iam:CreateAccessKey',
  'iam:CreateLoginProfile',
  'iam:CreatePolicyVersion',
  'iam:CreateRole',
  'iam:CreateUser',
  'iam:DeleteRolePermissionsBoundary',
  'iam:DeleteUserPermissionsBoundary',
  'iam:PutGroupPolicy',
  'iam:PutRolePolicy',
  'iam:PutUserPolicy',
  'iam:SetDefaultPolicyVersion',
  'iam:UpdateAssumeRolePolicy',
  'iam:UpdateLoginProfile',
];

/**
 * The member account's three vigil roles: remediation (the mutations the catalog declares, trusted
 * by exactly one central role), undo (what re-opens a fix, assumed only for an approved undo) and
 * read-only (enrichment and re-verification). Kept apart so reading never carries the power to
 * change anything and an automatic fix never carries the power to undo one.
 *
 * No role can escalate: attach/detach carry an `iam:PolicyARN` condition (the catalog's admin
 * policies only), and an explicit deny on the protected roles and on vigil's own policies holds even
 * where SCPs do not (the management account). There, the change roles exist only on opt-in, and then
 * under a permissions boundary that denies every privilege grant.
 */
export class RemediationRoles extends Construct {
  /** Undefined when `changeRoles` is false. */
  readonly remediationRole?: IamRole;
  readonly readOnlyRole: IamRole;
  /** Undefined when `changeRoles` is false. */
  readonly undoRole?: IamRole;
  /** The boundary of the change roles, when `permissionsBoundary` is set. */
  readonly boundary?: IamPolicy;

  constructor(scope: Construct, id: string, props: RemediationRolesProps) {
    super(scope, id);
    const { provider } = props;
    const prefix = props.remediationRoleName.replace(/-remediation$/, '');
    if (props.remediationActions.length === 0) {
      throw new Error(
        `RemediationRoles at '${this.node.path}': remediationActions is empty; does the catalog declare none?`,
      );
    }
    const attaching = [...props.remediationActions, ...props.undoActions].filter((a) => POLICY_ARN_ACTIONS.has(a));
    if (attaching.length > 0 && props.attachablePolicyArns.length === 0) {
      throw new Error(
        `RemediationRoles at '${this.node.path}': ${attaching.join(', ')} need attachablePolicyArns ` +
          '(the iam:PolicyARN patterns they may touch); without them any policy could be attached',
      );
    }
    const changeRoles = props.changeRoles ?? true;
    if (props.permissionsBoundary && !changeRoles) {
      throw new Error(
        `RemediationRoles at '${this.node.path}': permissionsBoundary is set but changeRoles is false; ` +
          'there is no role to bound (set changeRoles, or drop permissionsBoundary)',
      );
    }

    const scoping = { accountId: props.accountId, prefix, attachablePolicyArns: props.attachablePolicyArns };
    const protectedRoles = props.protectedRoleNames.flatMap((n) => [
      `arn:aws:iam::${props.accountId}:role/${n}`,
      `arn:aws:iam::${props.accountId}:role/*/${n}`,
    ]);
    const protectedPolicies = [`arn:aws:iam::${props.accountId}:policy/${props.namePrefix}-*`];
    const protect: Statement[] = [
      {
        Sid: 'NeverChangeProtectedRoles',
        Effect: 'Deny',
        Action: [...ROLE_CHANGING_ACTIONS],
        Resource: protectedRoles,
      },
      {
        Sid: 'NeverReversionVigilPolicies',
        Effect: 'Deny',
        Action: [
          'iam:CreatePolicyVersion',
          'iam:DeletePolicy',
          'iam:DeletePolicyVersion',
          'iam:SetDefaultPolicyVersion',
        ],
        Resource: protectedPolicies,
      },
    ];
    const passRole: Statement[] =
      props.passRoleArns && props.passRoleArns.length > 0
        ? [
            {
              Sid: 'PassForwarderRoleOnly',
              Effect: 'Allow',
              Action: 'iam:PassRole',
              Resource: [...props.passRoleArns],
              Condition: { StringEquals: { 'iam:PassedToService': 'events.amazonaws.com' } },
            },
          ]
        : [];
    // recreate-config-recorder-or-channel puts a recorder back only with the account's Config service-linked
    // role (it refuses any other): PutConfigurationRecorder needs iam:PassRole on it, to Config, and on nothing
    // else. Passing an arbitrary role to Config would hand its permissions to whoever controls the recorder.
    const passConfigRole = (actions: readonly string[]): Statement[] =>
      actions.includes(CONFIG_RECORDER_PUT)
        ? [
            {
              Sid: 'PassConfigServiceLinkedRoleOnly',
              Effect: 'Allow',
              Action: 'iam:PassRole',
              Resource: configServiceLinkedRoleArn(props.accountId),
              Condition: { StringEquals: { 'iam:PassedToService': 'config.amazonaws.com' } },
            },
          ]
        : [];

    if (props.permissionsBoundary) {
      this.boundary = new IamPolicy(this, 'boundary', {
        provider,
        name: `${props.namePrefix}-change-roles-boundary`,
        description: 'vigil: caps the remediation and undo roles where no SCP applies (management account)',
        policy: policyDocument([
          {
            Sid: 'DeclaredActionsOnly',
            Effect: 'Allow',
            Action: [...new Set([...props.remediationActions, ...props.undoActions, 'iam:PassRole'])].sort(),
            Resource: '*',
          },
          ...protect,
          { Sid: 'NoPrivilegeGrant', Effect: 'Deny', Action: [...PRIVILEGE_GRANTING_ACTIONS], Resource: '*' },
        ]),
      });
    }

    const role = (id: string, spec: RoleSpec): IamRole => {
      const r = new IamRole(this, id, {
        provider,
        name: spec.name,
        description: spec.description,
        maxSessionDuration: 3600,
        assumeRolePolicy: trust(spec.trustSid, spec.trustedBy, props.organizationId),
        ...(spec.bounded && this.boundary ? { permissionsBoundary: this.boundary.arn } : {}),
      });
      new IamRolePolicy(this, `${id}-policy`, {
        provider,
        name: spec.policyName,
        role: r.id,
        policy: policyDocument([
          ...scopedStatements(spec.sidPrefix, spec.actions, {
            ...scoping,
            targetOfPutTargets: spec.targetOfPutTargets,
          }),
          ...(spec.passRole ? [...passRole, ...passConfigRole(spec.actions)] : []),
          ...(spec.bounded ? protect : []),
        ]),
      });
      return r;
    };

    if (changeRoles) {
      this.remediationRole = role('remediation', {
        name: props.remediationRoleName,
        description: 'vigil remediation: assumed only by the central remediate-member function',
        trustSid: 'CentralRemediatorOnly',
        trustedBy: [props.remediatorRoleArn],
        policyName: 'catalog-remediations',
        sidPrefix: 'Remediate',
        actions: props.remediationActions,
        passRole: true,
        bounded: true,
        // Restoring a forwarding rule points it at the central bus, never anywhere else.
        targetOfPutTargets: props.centralBusArn,
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
        bounded: true,
      });
    }
    this.readOnlyRole = role('read-only', {
      name: props.readOnlyRoleName,
      description: 'vigil read-only: tags and describe calls for enrichment and verification',
      trustSid: 'CentralReadersOnly',
      trustedBy: props.readerRoleArns,
      policyName: 'read-only',
      sidPrefix: 'Read',
      actions: props.readActions,
      passRole: false,
      bounded: false,
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
  /** A change role: carries the protective denies (and the boundary, when there is one). */
  readonly bounded: boolean;
  /** The only `events:TargetArn` PutTargets may set. @default - any (undo puts back what was removed) */
  readonly targetOfPutTargets?: string;
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

interface Scope {
  readonly accountId: string;
  readonly prefix: string;
  readonly attachablePolicyArns: readonly string[];
  readonly targetOfPutTargets?: string | undefined;
}

type Condition = NonNullable<Statement['Condition']>;

/** The condition an action carries beyond its resource scope, if any. */
function conditionOf(action: string, s: Scope): Condition | undefined {
  if (POLICY_ARN_ACTIONS.has(action)) return { ArnLike: { 'iam:PolicyARN': [...s.attachablePolicyArns] } };
  if (S3_ACCOUNT_ACTIONS.has(action)) return { StringEquals: { 's3:ResourceAccount': s.accountId } };
  if (action === 'events:PutTargets' && s.targetOfPutTargets) {
    // events:TargetArn is multivalued (one per target in the call): every target must be the bus, and
    // ForAllValues alone would also match a request with no target at all, hence the Null check.
    return {
      'ForAllValues:ArnEquals': { 'events:TargetArn': [s.targetOfPutTargets] },
      Null: { 'events:TargetArn': 'false' },
    };
  }
  return undefined;
}

/** Groups actions by resource scope and condition into few statements, sorted for deterministic output. */
function scopedStatements(sidPrefix: string, actions: readonly string[], s: Scope): Statement[] {
  const byScope = new Map<string, string[]>();
  for (const action of [...new Set(actions)].sort()) {
    const scopes = RESOURCE_SCOPES[action] ?? (action.startsWith('events:') ? eventsRuleScope(s.prefix) : ['*']);
    const key = JSON.stringify([
      scopes.map((r) => r.replace('{account}', s.accountId)),
      conditionOf(action, s) ?? null,
    ]);
    byScope.set(key, [...(byScope.get(key) ?? []), action]);
  }
  return [...byScope.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, acts], i) => {
      const [resource, condition] = JSON.parse(key) as [string[], Condition | null];
      return {
        Sid: `${sidPrefix}${i + 1}`,
        Effect: 'Allow' as const,
        Action: acts,
        Resource: resource,
        ...(condition ? { Condition: condition } : {}),
      };
    });
}
