/**
 * The deploy role's permissions, derived from the Terraform resource types the stacks create: one map
 * (resource type → the IAM actions Terraform needs to create, read, update, delete and tag it, on the
 * resources vigil names) is the single source of truth for the bootstrap stack's policies, the
 * docs/deploy-role.md table and the tests that simulate them. A stack that starts creating a new resource
 * type fails synth (and the tests) until the type has an entry here.
 *
 * Resource ARNs carry `${AWS::AccountId}`: the StackSet template substitutes it per account
 * (`Fn::Sub`), the management account's role gets the literal id ({@link withAccount}).
 */
import type { Statement } from '../constructs/policy-document';

/** The stack types that deploy through the deploy role (bootstrap and the Terraform Cloud stack do not). */
export const DEPLOY_STACK_TYPES = ['log-archive', 'org-trail', 'security', 'member'] as const;
export type DeployStackType = (typeof DEPLOY_STACK_TYPES)[number];

/** The account placeholder in resource ARNs (CloudFormation's pseudo parameter, resolved per account). */
export const ACCOUNT = '${AWS::AccountId}';

/** What a grant is scoped to, from the inventory and the remediation config. */
export interface DeployScope {
  /** Every physical name vigil creates starts with `<namePrefix>-`. */
  readonly namePrefix: string;
  readonly organizationId: string;
  /** Roots and OUs the guardrail SCPs are attached to. */
  readonly scpTargets: readonly string[];
  /** The remediation kill switch parameter (`/name/...`). */
  readonly killSwitchParameter: string;
}

/** Actions on resources, under an optional condition; every action applies to every resource listed. */
export interface Grant {
  /** Statement id of the resources it is on (grants with one sid share resources and condition). */
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

const regional = (service: string, resource: string): string => `arn:aws:${service}:*:${ACCOUNT}:${resource}`;

/** The named resources of a scope, by kind (one sid each). */
function named(s: DeployScope) {
  const p = s.namePrefix;
  const org = (resource: string) => `arn:aws:organizations::${ACCOUNT}:${resource}`;
  return {
    Buckets: [`arn:aws:s3:::${p}-*`],
    Keys: [regional('kms', 'key/*')],
    KeyAliases: [regional('kms', `alias/${p}-*`)],
    Trails: [regional('cloudtrail', `trail/${p}-*`)],
    // CloudTrail's service-linked role, which an organization trail needs (created on first use).
    TrailServiceRole: [`arn:aws:iam::${ACCOUNT}:role/aws-service-role/cloudtrail.amazonaws.com/*`],
    OrgAccounts: [org(`account/${s.organizationId}/*`)],
    Scps: [org(`policy/${s.organizationId}/service_control_policy/p-*`)],
    ScpTargets: [...s.scpTargets]
      .sort()
      .map((t) => (t.startsWith('r-') ? org(`root/${s.organizationId}/${t}`) : org(`ou/${s.organizationId}/${t}`))),
    // `rule/<prefix>-*` also covers the rules on the central bus (`rule/<prefix>-security/<rule>`).
    Rules: [regional('events', `rule/${p}-*`)],
    // The heartbeat schedules (default schedule group).
    Schedules: [regional('scheduler', `schedule/default/${p}-*`)],
    Buses: [regional('events', `event-bus/${p}-*`)],
    Archives: [regional('events', `archive/${p}-*`)],
    LogGroups: [regional('logs', `log-group:/aws/lambda/${p}-*`)],
    Alarms: [regional('cloudwatch', `alarm:${p}-*`)],
    Dashboards: [`arn:aws:cloudwatch::${ACCOUNT}:dashboard/${p}-*`],
    Tables: [regional('dynamodb', `table/${p}-*`)],
    Roles: [`arn:aws:iam::${ACCOUNT}:role/${p}-*`],
    Policies: [`arn:aws:iam::${ACCOUNT}:policy/${p}-*`],
    Functions: [regional('lambda', `function:${p}-*`)],
    EventSourceMappings: [regional('lambda', 'event-source-mapping:*')],
    Topics: [regional('sns', `${p}-*`)],
    Queues: [regional('sqs', `${p}-*`)],
    Streams: [regional('firehose', `deliverystream/${p}-*`)],
    Parameters: [regional('ssm', `parameter${s.killSwitchParameter}`)],
    Any: ['*'],
  };
}

type Kind = keyof ReturnType<typeof named>;

type Condition = NonNullable<Grant['condition']>;

/** A grant of `actions` on the resources of `kind` (statement `sid`, by default the kind), optionally conditioned. */
const on =
  (
    kind: Kind,
    actions: readonly string[],
    sid: string = kind,
    condition?: Condition | ((s: DeployScope) => Condition),
  ) =>
  (s: DeployScope): Grant => ({
    sid,
    actions,
    resources: named(s)[kind],
    ...(condition ? { condition: typeof condition === 'function' ? condition(s) : condition } : {}),
  });

const passRoleTo = (service: string, sid: string) =>
  on('Roles', ['iam:PassRole'], sid, { StringEquals: { 'iam:PassedToService': service } });

/**
 * Every Terraform resource type vigil's stacks create, with what Terraform does to it (the AWS provider's
 * create, read, update, delete and tagging calls; `default_tags` tag everything taggable on create).
 */
export const RESOURCE_TYPE_GRANTS: Readonly<Record<string, ReadonlyArray<(s: DeployScope) => Grant>>> = {
  aws_s3_bucket: [
    on('Buckets', [
      's3:CreateBucket',
      's3:DeleteBucket',
      's3:ListBucket',
      's3:GetBucketLocation',
      's3:GetBucketAcl',
      's3:GetBucketCORS',
      's3:GetBucketWebsite',
      's3:GetBucketVersioning',
      's3:GetAccelerateConfiguration',
      's3:GetBucketRequestPayment',
      's3:GetBucketLogging',
      's3:GetLifecycleConfiguration',
      's3:GetReplicationConfiguration',
      's3:GetEncryptionConfiguration',
      's3:GetBucketObjectLockConfiguration',
      's3:GetBucketPolicy',
      's3:GetBucketTagging',
      's3:PutBucketTagging',
    ]),
  ],
  aws_s3_bucket_lifecycle_configuration: [
    on('Buckets', ['s3:PutLifecycleConfiguration', 's3:GetLifecycleConfiguration']),
  ],
  aws_s3_bucket_ownership_controls: [on('Buckets', ['s3:PutBucketOwnershipControls', 's3:GetBucketOwnershipControls'])],
  aws_s3_bucket_policy: [on('Buckets', ['s3:PutBucketPolicy', 's3:GetBucketPolicy', 's3:DeleteBucketPolicy'])],
  // PutBucketNotificationConfiguration and its Get are authorized as s3:PutBucketNotification / GetBucketNotification;
  // Terraform deletes the resource by putting an empty configuration.
  aws_s3_bucket_notification: [on('Buckets', ['s3:PutBucketNotification', 's3:GetBucketNotification'])],
  aws_s3_bucket_public_access_block: [
    on('Buckets', ['s3:PutBucketPublicAccessBlock', 's3:GetBucketPublicAccessBlock']),
  ],
  aws_s3_bucket_server_side_encryption_configuration: [
    on('Buckets', ['s3:PutEncryptionConfiguration', 's3:GetEncryptionConfiguration']),
  ],
  aws_s3_bucket_versioning: [on('Buckets', ['s3:PutBucketVersioning', 's3:GetBucketVersioning'])],
  aws_kms_key: [
    // A key's ARN is random: keys are scoped to the account, their aliases to vigil's names.
    on('Any', ['kms:CreateKey']),
    on('Keys', [
      'kms:DescribeKey',
      'kms:GetKeyPolicy',
      'kms:PutKeyPolicy',
      'kms:GetKeyRotationStatus',
      'kms:EnableKeyRotation',
      'kms:DisableKeyRotation',
      'kms:UpdateKeyDescription',
      'kms:ListResourceTags',
      'kms:TagResource',
      'kms:UntagResource',
      'kms:ScheduleKeyDeletion',
    ]),
  ],
  aws_kms_alias: [
    on('KeyAliases', ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias']),
    on('Keys', ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias']),
    on('Any', ['kms:ListAliases']),
  ],
  aws_cloudtrail: [
    on('Trails', [
      'cloudtrail:CreateTrail',
      'cloudtrail:UpdateTrail',
      'cloudtrail:DeleteTrail',
      'cloudtrail:GetTrail',
      'cloudtrail:GetTrailStatus',
      'cloudtrail:StartLogging',
      'cloudtrail:StopLogging',
      'cloudtrail:GetEventSelectors',
      'cloudtrail:PutEventSelectors',
      'cloudtrail:GetInsightSelectors',
      'cloudtrail:PutInsightSelectors',
      'cloudtrail:ListTags',
      'cloudtrail:AddTags',
      'cloudtrail:RemoveTags',
    ]),
    // An organization trail: CloudTrail reads the organization, checks trusted access and creates its
    // service-linked role (CloudTrail User Guide, "Prepare for creating a trail for your organization").
    on('Any', [
      'cloudtrail:DescribeTrails',
      'organizations:DescribeOrganization',
      'organizations:ListAWSServiceAccessForOrganization',
      'organizations:ListAccounts',
    ]),
    on('OrgAccounts', ['organizations:DescribeAccount']),
    on('TrailServiceRole', ['iam:GetRole']),
    on('TrailServiceRole', ['iam:CreateServiceLinkedRole'], 'TrailServiceRoleCreate', {
      StringEquals: { 'iam:AWSServiceName': 'cloudtrail.amazonaws.com' },
    }),
  ],
  aws_organizations_policy: [
    on('Scps', [
      'organizations:CreatePolicy',
      'organizations:DescribePolicy',
      'organizations:UpdatePolicy',
      'organizations:DeletePolicy',
      'organizations:ListTagsForResource',
      'organizations:TagResource',
      'organizations:UntagResource',
    ]),
    on('Any', ['organizations:DescribeOrganization']),
  ],
  aws_organizations_policy_attachment: [
    // Attaching authorizes on the policy and on the target: only the configured scpTargets.
    on('Scps', ['organizations:AttachPolicy', 'organizations:DetachPolicy', 'organizations:ListTargetsForPolicy']),
    on('ScpTargets', [
      'organizations:AttachPolicy',
      'organizations:DetachPolicy',
      'organizations:ListPoliciesForTarget',
    ]),
  ],
  aws_cloudwatch_event_rule: [
    on('Rules', [
      'events:PutRule',
      'events:DescribeRule',
      'events:DeleteRule',
      'events:EnableRule',
      'events:DisableRule',
      'events:ListTargetsByRule',
      'events:ListTagsForResource',
      'events:TagResource',
      'events:UntagResource',
    ]),
  ],
  aws_cloudwatch_event_target: [
    on('Rules', ['events:PutTargets', 'events:RemoveTargets', 'events:ListTargetsByRule']),
    passRoleTo('events.amazonaws.com', 'PassRoleToEvents'),
  ],
  aws_cloudwatch_event_bus: [
    on('Buses', [
      'events:CreateEventBus',
      'events:DescribeEventBus',
      'events:UpdateEventBus',
      'events:DeleteEventBus',
      'events:ListTagsForResource',
      'events:TagResource',
      'events:UntagResource',
    ]),
  ],
  aws_cloudwatch_event_bus_policy: [
    // PutPermission and RemovePermission have no resource type (Service Authorization Reference).
    on('Any', ['events:PutPermission', 'events:RemovePermission']),
    on('Buses', ['events:DescribeEventBus']),
  ],
  aws_cloudwatch_event_archive: [
    on('Archives', ['events:CreateArchive', 'events:DescribeArchive', 'events:UpdateArchive', 'events:DeleteArchive']),
    on('Buses', ['events:CreateArchive']),
  ],
  aws_cloudwatch_log_group: [
    on('LogGroups', [
      'logs:CreateLogGroup',
      'logs:DeleteLogGroup',
      'logs:PutRetentionPolicy',
      'logs:DeleteRetentionPolicy',
      'logs:ListTagsForResource',
      'logs:ListTagsLogGroup',
      'logs:TagResource',
      'logs:TagLogGroup',
      'logs:UntagResource',
      'logs:UntagLogGroup',
    ]),
    on('Any', ['logs:DescribeLogGroups']),
  ],
  aws_cloudwatch_metric_alarm: [
    on('Alarms', [
      'cloudwatch:PutMetricAlarm',
      'cloudwatch:DescribeAlarms',
      'cloudwatch:DeleteAlarms',
      'cloudwatch:ListTagsForResource',
      'cloudwatch:TagResource',
      'cloudwatch:UntagResource',
    ]),
  ],
  aws_cloudwatch_dashboard: [
    on('Dashboards', ['cloudwatch:PutDashboard', 'cloudwatch:GetDashboard', 'cloudwatch:DeleteDashboards']),
  ],
  aws_dynamodb_table: [
    on('Tables', [
      'dynamodb:CreateTable',
      'dynamodb:DescribeTable',
      'dynamodb:UpdateTable',
      'dynamodb:DeleteTable',
      'dynamodb:DescribeTimeToLive',
      'dynamodb:UpdateTimeToLive',
      'dynamodb:DescribeContinuousBackups',
      'dynamodb:UpdateContinuousBackups',
      'dynamodb:ListTagsOfResource',
      'dynamodb:TagResource',
      'dynamodb:UntagResource',
    ]),
    // Encryption with a customer managed key: DynamoDB checks the key and takes a grant on it.
    on('Keys', ['kms:DescribeKey']),
    on('Keys', ['kms:CreateGrant'], 'KeyGrantsForServices', { Bool: { 'kms:GrantIsForAWSResource': 'true' } }),
  ],
  // The heartbeat schedules of every member account and region (issue #11).
  aws_scheduler_schedule: [
    on('Schedules', [
      'scheduler:CreateSchedule',
      'scheduler:GetSchedule',
      'scheduler:UpdateSchedule',
      'scheduler:DeleteSchedule',
    ]),
    passRoleTo('scheduler.amazonaws.com', 'PassRoleToScheduler'),
  ],
  // The inventory table's items (the account view the functions read): written by the deploy only.
  aws_dynamodb_table_item: [
    on('Tables', ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']),
    // Items of a table encrypted with a customer managed key: DynamoDB uses the key on the caller's behalf.
    on('Keys', ['kms:Decrypt', 'kms:GenerateDataKey'], 'KeysThroughDynamoDB', {
      StringLike: { 'kms:ViaService': 'dynamodb.*.amazonaws.com' },
    }),
  ],
  aws_iam_role: [
    on('Roles', [
      'iam:CreateRole',
      'iam:GetRole',
      'iam:UpdateRole',
      'iam:UpdateRoleDescription',
      'iam:UpdateAssumeRolePolicy',
      'iam:DeleteRole',
      'iam:ListRolePolicies',
      'iam:ListAttachedRolePolicies',
      'iam:ListInstanceProfilesForRole',
      'iam:PutRolePermissionsBoundary',
      'iam:DeleteRolePermissionsBoundary',
      'iam:ListRoleTags',
      'iam:TagRole',
      'iam:UntagRole',
    ]),
  ],
  aws_iam_role_policy: [on('Roles', ['iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy'])],
  // The findings stream (issue #15, security stack, only when config turns it on).
  aws_kinesis_firehose_delivery_stream: [
    on(
      'Streams',
      [
        ...['CreateDeliveryStream', 'DescribeDeliveryStream', 'DeleteDeliveryStream', 'UpdateDestination'],
        ...['ListTagsForDeliveryStream', 'TagDeliveryStream', 'UntagDeliveryStream'],
        ...['StartDeliveryStreamEncryption', 'StopDeliveryStreamEncryption'],
      ].map((a) => `firehose:${a}`),
    ),
    passRoleTo('firehose.amazonaws.com', 'PassRoleToFirehose'),
  ],
  aws_iam_policy: [
    on('Policies', [
      'iam:CreatePolicy',
      'iam:GetPolicy',
      'iam:GetPolicyVersion',
      'iam:ListPolicyVersions',
      'iam:CreatePolicyVersion',
      'iam:DeletePolicyVersion',
      'iam:DeletePolicy',
      'iam:ListPolicyTags',
      'iam:TagPolicy',
      'iam:UntagPolicy',
    ]),
  ],
  aws_lambda_function: [
    on('Functions', [
      'lambda:CreateFunction',
      'lambda:GetFunction',
      'lambda:GetFunctionConfiguration',
      'lambda:GetFunctionCodeSigningConfig',
      'lambda:GetRuntimeManagementConfig',
      'lambda:ListVersionsByFunction',
      'lambda:UpdateFunctionCode',
      'lambda:UpdateFunctionConfiguration',
      'lambda:PutFunctionConcurrency',
      'lambda:DeleteFunctionConcurrency',
      'lambda:DeleteFunction',
      'lambda:ListTags',
      'lambda:TagResource',
      'lambda:UntagResource',
    ]),
    passRoleTo('lambda.amazonaws.com', 'PassRoleToLambda'),
  ],
  aws_lambda_event_source_mapping: [
    // CreateEventSourceMapping has no resource type; the mapping names its function in lambda:FunctionArn.
    on('Any', ['lambda:CreateEventSourceMapping'], 'EventSourceMappingCreate', (s) => ({
      ArnLike: { 'lambda:FunctionArn': named(s).Functions },
    })),
    on('EventSourceMappings', [
      'lambda:GetEventSourceMapping',
      'lambda:UpdateEventSourceMapping',
      'lambda:DeleteEventSourceMapping',
      'lambda:ListTags',
      'lambda:TagResource',
      'lambda:UntagResource',
    ]),
  ],
  aws_lambda_function_event_invoke_config: [
    on('Functions', [
      'lambda:PutFunctionEventInvokeConfig',
      'lambda:GetFunctionEventInvokeConfig',
      'lambda:UpdateFunctionEventInvokeConfig',
      'lambda:DeleteFunctionEventInvokeConfig',
    ]),
  ],
  aws_lambda_function_url: [
    on('Functions', [
      'lambda:CreateFunctionUrlConfig',
      'lambda:GetFunctionUrlConfig',
      'lambda:UpdateFunctionUrlConfig',
      'lambda:DeleteFunctionUrlConfig',
    ]),
  ],
  aws_lambda_permission: [on('Functions', ['lambda:AddPermission', 'lambda:RemovePermission', 'lambda:GetPolicy'])],
  aws_sns_topic: [
    on('Topics', [
      'sns:CreateTopic',
      'sns:GetTopicAttributes',
      'sns:SetTopicAttributes',
      'sns:DeleteTopic',
      'sns:ListTagsForResource',
      'sns:TagResource',
      'sns:UntagResource',
    ]),
  ],
  aws_sns_topic_subscription: [
    on('Topics', [
      'sns:Subscribe',
      'sns:Unsubscribe',
      'sns:GetSubscriptionAttributes',
      'sns:SetSubscriptionAttributes',
    ]),
  ],
  aws_sqs_queue: [
    on('Queues', [
      'sqs:CreateQueue',
      'sqs:GetQueueUrl',
      'sqs:GetQueueAttributes',
      'sqs:SetQueueAttributes',
      'sqs:DeleteQueue',
      'sqs:ListQueueTags',
      'sqs:TagQueue',
      'sqs:UntagQueue',
    ]),
  ],
  aws_sqs_queue_policy: [on('Queues', ['sqs:SetQueueAttributes', 'sqs:GetQueueAttributes'])],
  aws_ssm_parameter: [
    on('Parameters', [
      'ssm:PutParameter',
      'ssm:GetParameter',
      'ssm:GetParameters',
      'ssm:DeleteParameter',
      'ssm:ListTagsForResource',
      'ssm:AddTagsToResource',
      'ssm:RemoveTagsFromResource',
    ]),
    on('Any', ['ssm:DescribeParameters']),
  ],
};

/** The resource types of `types` that have no entry in {@link RESOURCE_TYPE_GRANTS}, sorted. */
export function unmappedResourceTypes(types: Iterable<string>): string[] {
  return [...new Set(types)].filter((t) => !(t in RESOURCE_TYPE_GRANTS)).sort();
}

/** Every grant a stack creating `resourceTypes` needs; fails, with the fix, on a type the map lacks. */
export function grantsFor(resourceTypes: Iterable<string>, scope: DeployScope, stackType = 'a stack'): Grant[] {
  const types = [...new Set(resourceTypes)].sort();
  const unmapped = unmappedResourceTypes(types);
  if (unmapped.length > 0) {
    throw new Error(
      `${stackType} creates ${unmapped.join(', ')}, which the deploy role has no permissions for: add ` +
        `${unmapped.length === 1 ? 'it' : 'them'} to RESOURCE_TYPE_GRANTS in derive/deploy-permissions.ts ` +
        '(the actions Terraform needs to create, read, update, delete and tag it), then run npm run docs:deploy-role',
    );
  }
  return types.flatMap((t) => RESOURCE_TYPE_GRANTS[t]!.map((g) => g(scope)));
}

/**
 * Grants merged into statements: one per sid (its actions united and sorted), in sid order, so the policy
 * is deterministic and as short as the grants allow.
 */
export function grantStatements(grants: readonly Grant[]): Statement[] {
  const bySid = new Map<string, { grant: Grant; actions: Set<string> }>();
  for (const g of grants) {
    const seen = bySid.get(g.sid);
    if (!seen) {
      bySid.set(g.sid, { grant: g, actions: new Set(g.actions) });
      continue;
    }
    if (JSON.stringify([seen.grant.resources, seen.grant.condition]) !== JSON.stringify([g.resources, g.condition])) {
      throw new Error(`grants with sid ${g.sid} name different resources or conditions: give them different sids`);
    }
    for (const a of g.actions) seen.actions.add(a);
  }
  return [...bySid.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([sid, { grant, actions }]) => ({
      Sid: sid,
      Effect: 'Allow' as const,
      Action: [...actions].sort(),
      Resource: grant.resources.length === 1 ? grant.resources[0]! : [...grant.resources],
      ...(grant.condition ? { Condition: grant.condition } : {}),
    }));
}

/**
 * The statement every deploy role carries: it may change neither itself nor the CI role, whatever a grant on
 * `<prefix>-*` roles would allow (the deploy role's name may start with the prefix). Its trust and policies
 * change only through the bootstrap stack, applied with management-account administrator credentials.
 */
export function selfProtection(deployRoleName: string, ciRoleName: string): Statement {
  return {
    Sid: 'NotItselfNorTheCiRole',
    Effect: 'Deny',
    Action: ['iam:*'],
    Resource: [`arn:aws:iam::*:role/${deployRoleName}`, `arn:aws:iam::*:role/${ciRoleName}`],
  };
}

/** Replaces the account placeholder with an account id (the management account's role is not in the StackSet). */
export function withAccount<T>(value: T, accountId: string): T {
  return JSON.parse(JSON.stringify(value).split(ACCOUNT).join(accountId)) as T;
}
