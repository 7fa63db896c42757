/**
 * The guardrail service control policies, derived from the names the stacks create (config/naming.ts),
 * never hand-listed: a protection is one entry of {@link guardrailProtections}, rendered into as few
 * SCPs as fit AWS's size limit, and into the README's security section.
 *
 * SCPs never apply to the management account, nor to service principals and service-linked roles (AWS
 * behaviour): EventBridge, Lambda's event source mappings and S3 lifecycle keep working, and tampering in
 * the management account is left to detection.
 */
import type { OrgInventory } from '../config/inventory';
import {
  archiveName,
  centralBusArn,
  centralBusName,
  deadLetterQueueName,
  findingsDeliveryRoleName,
  forwardingRuleNamePrefix,
  functionNames,
  functionRoleArn,
  heartbeatParameterName,
  heartbeatRoleName,
  heartbeatScheduleNames,
  queueNames,
  remediationRoleName,
  remediationUndoRoleName,
  ruleNamePrefix,
  scheduleRuleNames,
  memberRequestKeyAlias,
  securityKeyAlias,
  tableNames,
  trailBucketName,
  trailKeyAlias,
  trailName,
  vigilRoleNames,
  READ_ONLY_FUNCTIONS,
} from '../config/naming';
import { policyDocument, type Statement } from '../constructs/policy-document';
import { findingsProtection } from './guardrail-findings';

/** AWS rejects service control policies larger than this (characters, whitespace included). */
export const SCP_MAX_LENGTH = 5120;

/**
 * AWS allows 5 SCPs per root, OU or account, and FullAWSAccess is one of them: vigil may use at most 4,
 * and every one it uses is one fewer for the organization's own.
 */
export const MAX_GUARDRAIL_SCPS = 4;

export interface GuardrailInputs {
  readonly inventory: OrgInventory;
  /** The remediation kill switch parameter (config/remediation.json `killSwitchParameter`). */
  readonly killSwitchParameter: string;
}

/** One protection: `actions` on `resources` are denied to every principal but the `exempt` ones. */
export interface Protection {
  /** Statement id (short: every character counts against the SCP limit). */
  readonly sid: string;
  /** What it protects, in words, for the README. */
  readonly what: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** `aws:PrincipalArn` values the deny spares; empty = nobody is spared. */
  readonly exempt: readonly string[];
  /** Further conditions, all of which must hold for the deny to apply. */
  readonly condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** Role ARN pattern in every account, by exact name: no path, so `role/x/<name>` never matches. */
const anyAccountRole = (name: string): string => `arn:aws:iam::*:role/${name}`;
/** A role name at the root and on any path: IAM role names are unique per account whatever the path. */
const roleOnAnyPath = (name: string): string[] => [anyAccountRole(name), `arn:aws:iam::*:role/*/${name}`];

/**
 * The execution roles of service-managed StackSets in member accounts: the management account's StackSets
 * service-linked role assumes them to create the bootstrap stack's deploy role (stacks/bootstrap-stack.ts).
 * They are ordinary roles, so SCPs apply to them; StackSets' service-linked role in the member account,
 * to which SCPs never apply, is what creates and manages them.
 */
export const STACKSETS_EXECUTION_ROLES = 'arn:aws:iam::*:role/stacksets-exec-*';

/** Every IAM action that changes a role's trust, permissions, boundary, tags or existence. */
const ROLE_CHANGES = [
  'iam:CreateRole',
  'iam:DeleteRole*',
  'iam:PutRole*',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:UpdateAssumeRolePolicy',
  'iam:UpdateRole*',
  'iam:TagRole',
  'iam:UntagRole',
];

/** Everything vigil protects with its guardrail SCPs, in statement order. */
export function guardrailProtections(inputs: GuardrailInputs): Protection[] {
  const inv = inputs.inventory;
  const deploy = anyAccountRole(inv.deployRoleName);
  const remediation = anyAccountRole(remediationRoleName(inv));
  const undo = anyAccountRole(remediationUndoRoleName(inv));
  const fns = functionNames(inv);
  const writingFunctionRoles = (Object.keys(fns) as (keyof typeof fns)[])
    .filter((fn) => !READ_ONLY_FUNCTIONS.has(fn))
    .map((fn) => functionRoleArn(inv, fn));
  /** A function and its qualified ARNs (versions, aliases, `$LATEST`). */
  const functionArns = (names: readonly string[]) =>
    names.flatMap((n) => [`arn:aws:lambda:*:*:function:${n}`, `arn:aws:lambda:*:*:function:${n}:*`]);
  // Where only the deploy role is spared, `<name>*` covers a function, its qualified ARNs and any
  // vigil function whose name extends it (remediate → remediate-member): half the characters.
  const functionNamePatterns = prunedPrefixes(Object.values(fns)).map((n) => `arn:aws:lambda:*:*:function:${n}*`);
  const rule = (name: string) => `arn:aws:events:*:*:rule/${name}`;
  const bus = centralBusName(inv);
  // `rule/<prefix>-*` also matches rules on a bus named with the prefix (`rule/<bus>/<rule>`).
  const allRules = [rule(`${ruleNamePrefix(inv)}*`), rule(`${bus}/*`)];
  const centralRules = [rule(`${bus}/*`), ...Object.values(scheduleRuleNames(inv)).map(rule)];
  const forwardingRules = [rule(`${forwardingRuleNamePrefix(inv)}*`)];
  const queues = Object.values(queueNames(inv));
  const queueArn = (name: string) => `arn:aws:sqs:*:*:${name}`;
  const bucket = `arn:aws:s3:::${trailBucketName(inv)}`;
  const keyAliases = [trailKeyAlias(inv), securityKeyAlias(inv), memberRequestKeyAlias(inv)];
  const memberFunction = fns.remediateMember;
  const heartbeat = anyAccountRole(heartbeatRoleName(inv));
  // IAM role names are unique per account whatever the path: the heartbeat role's tag exemption is its own.
  const otherRoles = vigilRoleNames(inv).filter((n) => n !== heartbeatRoleName(inv));

  return [
    {
      sid: 'DeployRole',
      what: 'the deploy role itself: its trust, policies, boundary, tags and existence',
      actions: ROLE_CHANGES,
      resources: roleOnAnyPath(inv.deployRoleName),
      // The bootstrap StackSet updates the deploy role through its execution role.
      exempt: [deploy, STACKSETS_EXECUTION_ROLES, ...(inv.deployAdminPrincipalArns ?? [])],
    },
    {
      // The DeployRole exemption names them by pattern: nobody may make a role that matches it (a path
      // `stacksets-exec-x/` matches too) or change one; their service-linked role is beyond SCPs.
      sid: 'StackSetsExec',
      what: "StackSets' execution roles (`stacksets-exec-*`, spared by DeployRole): managed by StackSets' service-linked role only",
      actions: ROLE_CHANGES,
      resources: [STACKSETS_EXECUTION_ROLES],
      exempt: [],
    },
    {
      sid: 'Roles',
      what: "vigil's roles (member and central function roles), and creating a role of their name on any path",
      actions: ROLE_CHANGES.filter((a) => a !== 'iam:TagRole'),
      resources: vigilRoleNames(inv).flatMap(roleOnAnyPath),
      exempt: [deploy],
    },
    {
      sid: 'RoleTags',
      what: "tagging vigil's roles but the heartbeat role",
      actions: ['iam:TagRole'],
      resources: otherRoles.flatMap(roleOnAnyPath),
      exempt: [deploy],
    },
    {
      // The global heartbeat is the heartbeat role tagging itself (its policy allows only that one tag).
      sid: 'HeartbeatTag',
      what: 'tagging the heartbeat role (the heartbeat role itself: the global heartbeat)',
      actions: ['iam:TagRole'],
      resources: roleOnAnyPath(heartbeatRoleName(inv)),
      exempt: [deploy, heartbeat],
    },
    {
      // A function role trusts Lambda of the security account: passed to one's own function, it would
      // run code as vigil. The member roles trust principals, not services, and the forwarder role can
      // only put events a default bus already has on the central bus, so passing those gains nothing.
      sid: 'PassRoles',
      what: "passing the central functions' roles to a function, the findings delivery role to a stream (writes to the findings bucket) or the heartbeat role to a schedule (forged heartbeats)",
      actions: ['iam:PassRole'],
      resources: [...Object.values(fns).map(anyAccountRole), anyAccountRole(findingsDeliveryRoleName(inv)), heartbeat],
      exempt: [deploy],
    },
    {
      // Their trust already names remediate-member; this holds even if a trust policy regressed.
      sid: 'AssumeRemediation',
      what: 'assuming the remediation and undo roles (remediate-member only)',
      actions: ['sts:AssumeRole'],
      resources: [remediation, undo],
      exempt: [functionRoleArn(inv, 'remediateMember')],
    },
    {
      sid: 'RuleDelete',
      what: "deleting any of vigil's rules",
      actions: ['events:DeleteRule'],
      resources: allRules,
      exempt: [deploy],
    },
    {
      // restore-forwarding-rule's undo disables a rule it enabled.
      sid: 'RuleDisable',
      what: "disabling vigil's rules (the undo role: member forwarding rules only)",
      actions: ['events:DisableRule'],
      resources: allRules,
      exempt: [deploy, undo],
    },
    {
      sid: 'RuleEnable',
      what: "enabling vigil's rules (the remediation role: member forwarding rules only)",
      actions: ['events:EnableRule'],
      resources: allRules,
      exempt: [deploy, remediation],
    },
    {
      sid: 'RuleChange',
      what: "changing vigil's rules and targets (remediation and undo roles: member forwarding rules only)",
      actions: ['events:PutRule', 'events:PutTargets', 'events:RemoveTargets'],
      resources: allRules,
      exempt: [deploy, remediation, undo],
    },
    {
      sid: 'CentralRules',
      what: 'the central rules and schedules of the security account',
      actions: [
        'events:DeleteRule',
        'events:DisableRule',
        'events:EnableRule',
        'events:PutRule',
        'events:PutTargets',
        'events:RemoveTargets',
      ],
      resources: centralRules,
      exempt: [deploy],
    },
    {
      sid: 'FwdTarget',
      what: 'the remediation role pointing a forwarding rule anywhere but the central bus',
      actions: ['events:PutTargets'],
      resources: forwardingRules,
      exempt: [],
      condition: {
        ArnLike: { 'aws:PrincipalArn': [remediation] },
        'ForAnyValue:ArnNotEquals': { 'events:TargetArn': [centralBusArn(inv)] },
      },
    },
    {
      // ForAnyValue is false when the key is absent (IAM): deny a PutTargets that names no target ARN too.
      sid: 'FwdTargetNull',
      what: 'the remediation role putting targets whose ARN the request does not carry',
      actions: ['events:PutTargets'],
      resources: forwardingRules,
      exempt: [],
      condition: { ArnLike: { 'aws:PrincipalArn': [remediation] }, Null: { 'events:TargetArn': 'true' } },
    },
    {
      sid: 'Bus',
      what: 'the central bus and its archive',
      actions: ['events:DeleteEventBus', 'events:UpdateEventBus', 'events:DeleteArchive', 'events:UpdateArchive'],
      resources: [`arn:aws:events:*:*:event-bus/${bus}`, `arn:aws:events:*:*:archive/${archiveName(inv)}`],
      exempt: [deploy],
    },
    {
      // PutPermission has no resource type (Service Authorization Reference): it is authorized on `*`.
      // The remediation role may only take a statement out (remove-bus-policy-statement), and the undo
      // role only put a policy back (its approved undo).
      sid: 'BusPolicy',
      what: 'event bus policies in the security account (the central bus policy); undo role excepted',
      actions: ['events:PutPermission'],
      resources: ['*'],
      exempt: [deploy, undo],
      condition: { StringEquals: { 'aws:PrincipalAccount': inv.securityAccountId } },
    },
    {
      sid: 'BusPolicyRemove',
      what: 'removing statements from event bus policies in the security account; remediation role excepted',
      actions: ['events:RemovePermission'],
      resources: ['*'],
      exempt: [deploy, remediation],
      condition: { StringEquals: { 'aws:PrincipalAccount': inv.securityAccountId } },
    },
    {
      sid: 'Queues',
      what: 'the triage, remediation, sweep and findings queues, their dead-letter queues and the digest and coverage dead-letter queues (policy, attributes, purge, deletion)',
      actions: [
        'sqs:DeleteQueue',
        'sqs:PurgeQueue',
        'sqs:SetQueueAttributes',
        'sqs:AddPermission',
        'sqs:RemovePermission',
      ],
      resources: [
        ...queues.flatMap((q) => [queueArn(q), queueArn(deadLetterQueueName(q))]),
        queueArn(deadLetterQueueName(fns.digest)),
        queueArn(deadLetterQueueName(fns.coverage)),
      ],
      exempt: [deploy],
    },
    {
      // Draining a work queue drops its events as surely as purging it. DLQs stay readable for redrive.
      sid: 'QueueDrain',
      what: 'receiving or deleting messages of the work queues (their consumers only)',
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
      resources: queues.map(queueArn),
      exempt: [
        deploy,
        functionRoleArn(inv, 'triage'),
        functionRoleArn(inv, 'remediate'),
        functionRoleArn(inv, 'sweep'),
        functionRoleArn(inv, 'findings'),
      ],
    },
    {
      sid: 'Tables',
      what: 'the tables (deletion, settings, resource policy)',
      actions: [
        'dynamodb:DeleteTable',
        'dynamodb:UpdateTable',
        'dynamodb:UpdateTimeToLive',
        'dynamodb:UpdateContinuousBackups',
        'dynamodb:*ResourcePolicy',
      ],
      resources: Object.values(tableNames(inv)).map((t) => `arn:aws:dynamodb:*:*:table/${t}`),
      exempt: [deploy],
    },
    {
      // A forged approval or a deleted audit record is tampering too: items are written by the functions.
      sid: 'TableItems',
      what: "the tables' items (approvals, audit, state): written by vigil's functions only",
      actions: [
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:PartiQLInsert',
        'dynamodb:PartiQLUpdate',
        'dynamodb:PartiQLDelete',
      ],
      resources: Object.values(tableNames(inv)).map((t) => `arn:aws:dynamodb:*:*:table/${t}`),
      exempt: [deploy, ...writingFunctionRoles],
    },
    {
      sid: 'Functions',
      what: 'the functions: code, configuration, permissions, concurrency, URL, aliases, deletion',
      actions: [
        'lambda:Create*',
        'lambda:Update*',
        'lambda:Delete*',
        'lambda:Put*',
        'lambda:AddPermission',
        'lambda:RemovePermission',
        'lambda:PublishVersion',
      ],
      resources: functionNamePatterns,
      exempt: [deploy],
    },
    {
      // CreateEventSourceMapping has no resource type; the mapping names its function in lambda:FunctionArn.
      sid: 'EventSources',
      what: "the functions' event source mappings",
      actions: [
        'lambda:CreateEventSourceMapping',
        'lambda:UpdateEventSourceMapping',
        'lambda:DeleteEventSourceMapping',
      ],
      resources: ['*'],
      exempt: [deploy],
      condition: { ArnLike: { 'lambda:FunctionArn': functionNamePatterns } },
    },
    {
      sid: 'InvokeMember',
      what: `invoking ${memberFunction} (the function that holds member credentials): the remediate role only`,
      actions: ['lambda:Invoke*'],
      resources: functionArns([memberFunction]),
      exempt: [functionRoleArn(inv, 'remediate')],
    },
    {
      sid: 'KillSwitch',
      what: 'the remediation kill switch parameter',
      actions: ['ssm:PutParameter', 'ssm:DeleteParameter*', 'ssm:*LabelParameterVersion'],
      resources: [`arn:aws:ssm:*:*:parameter${inputs.killSwitchParameter}`],
      exempt: [deploy],
    },
    {
      // Anyone else writing it could forge heartbeats: a broken path would look healthy on the coverage map.
      sid: 'HeartbeatParam',
      what: 'the heartbeat parameter (the heartbeat role writes it)',
      actions: ['ssm:PutParameter', 'ssm:DeleteParameter*', 'ssm:*LabelParameterVersion', 'ssm:*TagsToResource'],
      resources: [`arn:aws:ssm:*:*:parameter${heartbeatParameterName(inv)}`],
      exempt: [deploy, heartbeat],
    },
    {
      sid: 'Schedules',
      what: 'the heartbeat schedules of the member accounts',
      actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
      resources: [`arn:aws:scheduler:*:*:schedule/default/${heartbeatScheduleNames(inv).regional}*`],
      exempt: [deploy],
    },
    {
      sid: 'Trail',
      what: 'the organization trail',
      actions: [
        'cloudtrail:DeleteTrail',
        'cloudtrail:StopLogging',
        'cloudtrail:UpdateTrail',
        'cloudtrail:Put*',
        'cloudtrail:RemoveTags',
      ],
      resources: [`arn:aws:cloudtrail:*:*:trail/${trailName(inv)}`],
      exempt: [deploy],
    },
    {
      sid: 'TrailBucket',
      what: 'the trail bucket: policy, lifecycle, object lock, versioning, public access block, encryption, its logs',
      actions: [
        's3:PutBucket*',
        's3:DeleteBucket*',
        's3:PutLifecycleConfiguration',
        's3:PutEncryptionConfiguration',
        's3:PutReplicationConfiguration',
        's3:DeleteObject*',
      ],
      resources: [bucket, `${bucket}/*`],
      exempt: [deploy],
    },
    findingsProtection(inv, deploy),
    {
      // A key ARN is random; kms:ResourceAliases names the key by its alias, which KeyAliases protects.
      sid: 'Keys',
      what: 'the trail key, the security key and the member request key: key policy, disabling, deletion, key material',
      actions: [
        'kms:PutKeyPolicy',
        'kms:Disable*',
        'kms:ScheduleKeyDeletion',
        'kms:ImportKeyMaterial',
        'kms:DeleteImportedKeyMaterial',
      ],
      resources: ['*'],
      exempt: [deploy],
      condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': keyAliases } },
    },
    {
      sid: 'KeyAliases',
      what: "the keys' aliases (re-pointing or deleting them)",
      actions: ['kms:CreateAlias', 'kms:DeleteAlias', 'kms:UpdateAlias'],
      resources: keyAliases.map((a) => `arn:aws:kms:*:*:${a}`),
      exempt: [deploy],
    },
  ];
}

/** The names that are not extensions of another name in the list, sorted. */
function prunedPrefixes(names: readonly string[]): string[] {
  const sorted = [...new Set(names)].sort();
  return sorted.filter((n) => !sorted.some((other) => other !== n && n.startsWith(other)));
}

/** One protection as an SCP statement. */
export function protectionStatement(p: Protection): Statement {
  const condition: Record<string, Record<string, string | readonly string[]>> = { ...p.condition };
  if (p.exempt.length > 0) condition['ArnNotLike'] = { 'aws:PrincipalArn': [...p.exempt] };
  return {
    Sid: p.sid,
    Effect: 'Deny',
    Action: p.actions.length === 1 ? p.actions[0]! : [...p.actions],
    Resource: p.resources.length === 1 ? p.resources[0]! : [...p.resources],
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

/**
 * The guardrail SCPs: the protections packed (first fit, in protection order, so the result is
 * deterministic) into as few policies as fit {@link SCP_MAX_LENGTH}.
 * No account id grows them: every ARN uses an account wildcard or a fixed vigil account.
 */
export function guardrailScps(inputs: GuardrailInputs): string[] {
  const policies: Statement[][] = [];
  for (const p of guardrailProtections(inputs)) {
    const statement = protectionStatement(p);
    if (policyDocument([statement]).length > SCP_MAX_LENGTH) {
      throw new Error(
        `guardrail statement ${p.sid} alone is over the ${SCP_MAX_LENGTH}-character SCP limit; shorten namePrefix or deployRoleName, or list fewer deployAdminPrincipalArns`,
      );
    }
    // First fit: the earliest policy with room, so a short statement fills a gap a long one left.
    const fits = policies.find((policy) => policyDocument([...policy, statement]).length <= SCP_MAX_LENGTH);
    if (fits) fits.push(statement);
    else policies.push([statement]);
  }
  if (policies.length > MAX_GUARDRAIL_SCPS) {
    throw new Error(
      `the guardrail needs ${policies.length} SCPs; AWS allows ${MAX_GUARDRAIL_SCPS} besides FullAWSAccess per target. Shorten namePrefix, deployRoleName or the killSwitchParameter, or list fewer deployAdminPrincipalArns.`,
    );
  }
  return policies.map(policyDocument);
}

const code = (s: string) => `\`${s}\``;

/**
 * The README's table of what the guardrail protects, rendered from {@link guardrailProtections} so the
 * documentation cannot drift from the policy.
 */
export function renderGuardrailTable(inputs: GuardrailInputs): string {
  const rows = guardrailProtections(inputs).map((p) => {
    const conditions = Object.entries(p.condition ?? {}).flatMap(([op, kv]) =>
      Object.entries(kv).map(([k, v]) => `${code(k)} ${op} ${[v].flat().map(code).join(', ')}`),
    );
    return [
      `${p.sid}: ${p.what}`,
      p.actions.map(code).join(', '),
      p.resources.map(code).join(', ') + (conditions.length > 0 ? ` when ${conditions.join(' and ')}` : ''),
      p.exempt.length > 0 ? p.exempt.map(code).join(', ') : 'nobody',
    ];
  });
  return [
    '| protects | denied actions | on | allowed only to |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
}
