import { Testing } from '../../framework/cdktf';
import { CATALOG } from '../../rules/catalog';
import { forwardingPatterns } from '../../rules/patterns';
import { LogArchiveStack } from '../../stacks/log-archive-stack';
import { MemberStack } from '../../stacks/member-stack';
import { OrgTrailStack } from '../../stacks/org-trail-stack';
import { CENTRAL_BUS_ONLY_ACTIONS, remediationPermissions } from '../../derive/remediation-permissions';
import { SecurityStack } from '../../stacks/security-stack';
import { inventoryWith, TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';
import { ADMIN_POLICY, type Decision, type PolicyInput, pruning, simulate } from '../helpers/iam-simulate';
import { type Json, onlyResource, resourcesOfType, synthJson } from '../helpers/synth';

// The guardrail SCPs as synthesized, judged by the simulator against every resource the other stacks
// synthesize: a resource added to a stack without protection fails here, not in production.
const inv = TEST_INVENTORY;
const SECURITY = inv.securityAccountId;
const LOG_ARCHIVE = inv.logArchiveAccountId;
const WORKLOAD = '444444444444';
const REGION = inv.homeRegion;

const orgTrail = (inventory: typeof inv) =>
  synthJson(new OrgTrailStack(Testing.app(), 'org-trail', { inventory, remediation: TEST_REMEDIATION }));
const scpsOf = (tf: Json): string[] => resourcesOfType(tf, 'aws_organizations_policy').map((p) => p.content);
const SCPS = scpsOf(orgTrail(inv));

const security = synthJson(
  new SecurityStack(Testing.app(), 'security', {
    inventory: inv,
    catalog: CATALOG,
    // Findings on, so the findings queue, function, stream and bucket are protected and consumed under the SCP too.
    alerting: { ...TEST_ALERTING, findings: { securityHub: true, stream: { enabled: true } } },
    remediation: TEST_REMEDIATION,
  }),
);
const logArchive = synthJson(new LogArchiveStack(Testing.app(), 'log-archive', { inventory: inv }));
/** Member stacks of a workload, the security and the log-archive account: vigil's roles and rules in each. */
const members = [WORKLOAD, SECURITY, LOG_ARCHIVE].map((id) => ({
  account: id,
  tf: synthJson(
    new MemberStack(Testing.app(), `member-${id}`, {
      inventory: inv,
      account: inv.accounts.find((a) => a.id === id)!,
      patterns: forwardingPatterns(CATALOG),
      permissions: remediationPermissions(CATALOG),
    }),
  ),
}));

/** `${aws_iam_role.<id>.<attr>}` → the resource it names. */
function referenced(tf: Json, ref: string): Json {
  const m = /^\$\{([\w]+)\.([\w-]+)\.\w+\}$/.exec(ref);
  const found = m ? tf['resource']?.[m[1]!]?.[m[2]!] : undefined;
  if (!found) throw new Error(`cannot resolve reference ${ref}`);
  return found;
}

/** Inline policies of each synthesized role, by role name. */
function rolePolicies(tf: Json): Map<string, PolicyInput[]> {
  const byRole = new Map<string, PolicyInput[]>();
  for (const p of resourcesOfType(tf, 'aws_iam_role_policy')) {
    const name = referenced(tf, p.role).name as string;
    byRole.set(name, [...(byRole.get(name) ?? []), p.policy]);
  }
  return byRole;
}

const deployRoleName = /role\/([^/]+)$/.exec(onlyProvider(security).assume_role[0].role_arn)![1]!;
function onlyProvider(tf: Json): Json {
  return tf['provider']['aws'][0];
}

interface Protected {
  readonly kind: string;
  readonly arn: string;
  readonly account: string;
  readonly actions: readonly string[];
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
  /** A key is usable only if its key policy allows it: the one every vigil key has (account root). */
  readonly resourcePolicy?: PolicyInput;
}

const ROLE_CHANGES = [
  'iam:UpdateAssumeRolePolicy',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
  'iam:DeleteRole',
  'iam:UpdateRole',
  'iam:TagRole',
  'iam:UntagRole',
];
const RULE_CHANGES = [
  'events:DeleteRule',
  'events:DisableRule',
  'events:EnableRule',
  'events:PutRule',
  'events:PutTargets',
  'events:RemoveTargets',
];
const keyPolicy = (account: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
});

const centralBus = onlyResource(security, 'aws_cloudwatch_event_bus').name as string;
const BUS_ARN = `arn:aws:events:${REGION}:${SECURITY}:event-bus/${centralBus}`;
const functionArn = (name: string) => `arn:aws:lambda:${REGION}:${SECURITY}:function:${name}`;

/** Member forwarding rules: every placement name, in one region each (the SCP names no region). */
const forwardingRules: Protected[] = members.flatMap(({ account, tf }) => {
  const placements = Object.values(onlyResource(tf, 'aws_cloudwatch_event_rule').for_each as Record<string, Json>);
  const names = [...new Set(placements.map((p) => p.name as string))];
  return names.map((name) => ({
    kind: 'member forwarding rule',
    arn: `arn:aws:events:${placements.find((p) => p.name === name)!.region}:${account}:rule/${name}`,
    account,
    // Enabling is guarded too: only the remediation role re-enables a forwarding rule (restore-forwarding-rule).
    actions: RULE_CHANGES,
  }));
});

const centralRules: Protected[] = resourcesOfType(security, 'aws_cloudwatch_event_rule').map((r) => ({
  kind: 'central rule',
  arn: `arn:aws:events:${REGION}:${SECURITY}:rule/${r.event_bus_name ? `${referenced(security, r.event_bus_name).name}/` : ''}${r.name}`,
  account: SECURITY,
  actions: RULE_CHANGES,
}));

const memberRoles: Protected[] = members.flatMap(({ account, tf }) =>
  resourcesOfType(tf, 'aws_iam_role').map((r) => ({
    kind: 'member role',
    arn: `arn:aws:iam::${account}:role/${r.name}`,
    account,
    actions: ROLE_CHANGES,
  })),
);

// Passing a function role to one's own function would run code as vigil.
const centralRoles: Protected[] = resourcesOfType(security, 'aws_iam_role').map((r) => ({
  kind: 'function role',
  arn: `arn:aws:iam::${SECURITY}:role/${r.name}`,
  account: SECURITY,
  actions: [...ROLE_CHANGES, 'iam:PassRole'],
}));

const deployRoles: Protected[] = [WORKLOAD, SECURITY, LOG_ARCHIVE].map((account) => ({
  kind: 'deploy role',
  arn: `arn:aws:iam::${account}:role/${deployRoleName}`,
  account,
  actions: ROLE_CHANGES,
}));

const functions: Protected[] = resourcesOfType(security, 'aws_lambda_function').flatMap((f) =>
  [functionArn(f.function_name), `${functionArn(f.function_name)}:$LATEST`].map((arn) => ({
    kind: 'function',
    arn,
    account: SECURITY,
    actions: [
      'lambda:UpdateFunctionCode',
      'lambda:UpdateFunctionConfiguration',
      'lambda:DeleteFunction',
      'lambda:AddPermission',
      'lambda:RemovePermission',
      'lambda:PutFunctionConcurrency',
      'lambda:DeleteFunctionConcurrency',
      'lambda:CreateFunctionUrlConfig',
      'lambda:UpdateFunctionUrlConfig',
      'lambda:DeleteFunctionUrlConfig',
      'lambda:PutFunctionEventInvokeConfig',
      'lambda:CreateAlias',
      'lambda:UpdateAlias',
      'lambda:PublishVersion',
    ],
  })),
);

const eventSourceMappings: Protected[] = resourcesOfType(security, 'aws_lambda_event_source_mapping').flatMap((m) => {
  const fn = functionArn(referenced(security, m.function_name).function_name);
  return [
    { arn: '*', actions: ['lambda:CreateEventSourceMapping'] },
    {
      arn: `arn:aws:lambda:${REGION}:${SECURITY}:event-source-mapping:00000000-0000-0000-0000-000000000000`,
      actions: ['lambda:UpdateEventSourceMapping', 'lambda:DeleteEventSourceMapping'],
    },
  ].map((r) => ({ kind: 'event source mapping', account: SECURITY, context: { 'lambda:FunctionArn': fn }, ...r }));
});

const queues: Protected[] = resourcesOfType(security, 'aws_sqs_queue').map((q) => ({
  kind: 'queue',
  arn: `arn:aws:sqs:${REGION}:${SECURITY}:${q.name}`,
  account: SECURITY,
  actions: [
    'sqs:SetQueueAttributes',
    'sqs:PurgeQueue',
    'sqs:DeleteQueue',
    'sqs:AddPermission',
    'sqs:RemovePermission',
    // Draining a work queue drops what it carries; dead-letter queues stay readable for redrive.
    ...(q.redrive_policy ? ['sqs:ReceiveMessage', 'sqs:DeleteMessage'] : []),
  ],
}));

const tables: Protected[] = resourcesOfType(security, 'aws_dynamodb_table').map((t) => ({
  kind: 'table',
  arn: `arn:aws:dynamodb:${REGION}:${SECURITY}:table/${t.name}`,
  account: SECURITY,
  actions: [
    'dynamodb:DeleteTable',
    'dynamodb:UpdateTable',
    'dynamodb:UpdateTimeToLive',
    'dynamodb:UpdateContinuousBackups',
    'dynamodb:PutResourcePolicy',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ],
}));

const bus: Protected[] = [
  { kind: 'central bus', arn: BUS_ARN, account: SECURITY, actions: ['events:DeleteEventBus', 'events:UpdateEventBus'] },
  // PutPermission has no resource type: AWS authorizes it on `*` in the caller's account.
  ...resourcesOfType(security, 'aws_cloudwatch_event_bus_policy').map(() => ({
    kind: 'bus policy',
    arn: '*',
    account: SECURITY,
    actions: ['events:PutPermission', 'events:RemovePermission'],
  })),
  ...resourcesOfType(security, 'aws_cloudwatch_event_archive').map((a) => ({
    kind: 'archive',
    arn: `arn:aws:events:${REGION}:${SECURITY}:archive/${a.name}`,
    account: SECURITY,
    actions: ['events:DeleteArchive', 'events:UpdateArchive'],
  })),
];

const killSwitch: Protected[] = resourcesOfType(security, 'aws_ssm_parameter').map((p) => ({
  kind: 'kill switch',
  arn: `arn:aws:ssm:${REGION}:${SECURITY}:parameter${p.name}`,
  account: SECURITY,
  actions: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:LabelParameterVersion'],
}));

/** The heartbeat parameter in every region a member's heartbeat schedules write it (issue #11). */
const heartbeatSchedules = members.flatMap(({ account, tf }) =>
  Object.values(onlyResource(tf, 'aws_scheduler_schedule').for_each as Record<string, Json>).map(
    (p): Json => ({ account, ...p }),
  ),
);
const heartbeatParameters: Protected[] = heartbeatSchedules
  .filter((p) => p.path === 'regional')
  .map((p) => ({
    kind: 'heartbeat parameter',
    arn: `arn:aws:ssm:${p.region}:${p.account}:parameter${JSON.parse(p.input).Name}`,
    account: p.account,
    actions: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:LabelParameterVersion', 'ssm:AddTagsToResource'],
  }));
const heartbeatScheduleArns: Protected[] = heartbeatSchedules.map((p) => ({
  kind: 'heartbeat schedule',
  arn: `arn:aws:scheduler:${p.region}:${p.account}:schedule/default/${p.name}`,
  account: p.account,
  actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
}));

const bucketName = onlyResource(logArchive, 'aws_s3_bucket').bucket as string;
const trailBucket: Protected[] = [
  {
    kind: 'trail bucket',
    arn: `arn:aws:s3:::${bucketName}`,
    account: LOG_ARCHIVE,
    actions: [
      's3:PutBucketPolicy',
      's3:DeleteBucketPolicy',
      's3:PutLifecycleConfiguration',
      's3:PutBucketObjectLockConfiguration',
      's3:PutBucketVersioning',
      's3:PutBucketPublicAccessBlock',
      's3:PutEncryptionConfiguration',
      's3:PutBucketOwnershipControls',
      's3:DeleteBucket',
    ],
  },
  {
    kind: 'trail logs',
    arn: `arn:aws:s3:::${bucketName}/AWSLogs/${inv.organizationId}/x.json.gz`,
    account: LOG_ARCHIVE,
    actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
  },
];

/** Keys by alias (a key ARN is random): the key actions with kms:ResourceAliases, and the alias itself. */
const keys: Protected[] = [
  { tf: logArchive, account: LOG_ARCHIVE },
  { tf: security, account: SECURITY },
].flatMap(({ tf, account }) =>
  resourcesOfType(tf, 'aws_kms_alias').flatMap((a) => [
    {
      kind: 'key',
      arn: `arn:aws:kms:${REGION}:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      account,
      actions: ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy', 'kms:DisableKeyRotation'],
      context: { 'kms:ResourceAliases': [a.name] },
      resourcePolicy: keyPolicy(account),
    },
    {
      kind: 'key alias',
      arn: `arn:aws:kms:${REGION}:${account}:${a.name}`,
      account,
      actions: ['kms:DeleteAlias', 'kms:UpdateAlias'],
    },
  ]),
);

const trail: Protected[] = [
  {
    // Only the management account (no SCP) or a CloudTrail delegated administrator can manage the org
    // trail; the delegated administrator acts on it from its own account.
    kind: 'organization trail',
    arn: `arn:aws:cloudtrail:${REGION}:${inv.managementAccountId}:trail/${onlyResource(orgTrail(inv), 'aws_cloudtrail').name}`,
    account: SECURITY,
    actions: [
      'cloudtrail:StopLogging',
      'cloudtrail:DeleteTrail',
      'cloudtrail:UpdateTrail',
      'cloudtrail:PutEventSelectors',
      'cloudtrail:PutInsightSelectors',
    ],
  },
];

const PROTECTED: readonly Protected[] = [
  ...deployRoles,
  ...memberRoles,
  ...centralRoles,
  ...forwardingRules,
  ...centralRules,
  ...bus,
  ...queues,
  ...tables,
  ...functions,
  ...eventSourceMappings,
  ...killSwitch,
  ...heartbeatParameters,
  ...heartbeatScheduleArns,
  ...trail,
  ...trailBucket,
  ...keys,
];
const kinds = [...new Set(PROTECTED.map((p) => p.kind))];
const ofKind = (kind: string) => PROTECTED.filter((p) => p.kind === kind);
/** The first and last of a kind: look-alikes test the exemption, which is the same for every resource of a kind. */
const sampleOfKind = (kind: string) => {
  const all = ofKind(kind);
  return [...new Set([all[0]!, all[all.length - 1]!])];
};

/** Every (action, resource) pair of a kind run as `principal(account)`; returns the decisions that differ from `expected`. */
async function unexpected(
  targets: readonly Protected[],
  principal: (account: string) => string,
  expected: Decision,
  identityPolicies: readonly PolicyInput[] = [ADMIN_POLICY],
  scps: readonly string[] = SCPS,
): Promise<string[]> {
  const runs = targets.flatMap((t) =>
    t.actions.map(async (action) => {
      const who = principal(t.account);
      const decision = await simulate({
        principal: who,
        action,
        resource: t.arn,
        resourceAccount: t.account,
        identityPolicies,
        serviceControlPolicies: scps,
        ...(t.resourcePolicy ? { resourcePolicy: t.resourcePolicy } : {}),
        ...(t.context ? { context: t.context } : {}),
      });
      return decision === expected ? undefined : `${who} ${action} ${t.arn}: ${decision}`;
    }),
  );
  return (await Promise.all(runs)).filter((r): r is string => r !== undefined);
}

const admin = (account: string) => `arn:aws:iam::${account}:role/Admin`;
const deploySession = (account: string) => `arn:aws:sts::${account}:assumed-role/${deployRoleName}/ci`;
/** The member-facing function: the one every member remediation role trusts. */
const memberFunctionRole = JSON.parse(
  resourcesOfType(members[0]!.tf, 'aws_iam_role').find((r) => r.name === 'vigil-remediation')!.assume_role_policy,
).Statement[0].Principal.AWS as string;
const memberFunctionName = memberFunctionRole.split('/').pop()!;
/** The role whose synthesized policy invokes the member-facing function. */
const [invokerName, invokerPolicies] = [...rolePolicies(security)].find(([, policies]) =>
  policies.some((p) => JSON.stringify(p).includes(`lambda:InvokeFunction`)),
)!;
const invokerRole = `arn:aws:iam::${SECURITY}:role/${invokerName}`;

describe('guardrail SCPs (simulated)', () => {
  it('cover every protected resource type the issue names', () => {
    expect(kinds).toEqual(
      expect.arrayContaining([
        'deploy role',
        'member role',
        'function role',
        'member forwarding rule',
        'central rule',
        'central bus',
        'bus policy',
        'archive',
        'queue',
        'table',
        'function',
        'event source mapping',
        'kill switch',
        'heartbeat parameter',
        'heartbeat schedule',
        'organization trail',
        'trail bucket',
        'trail logs',
        'key',
        'key alias',
      ]),
    );
    expect(functions.length).toBeGreaterThanOrEqual(10);
    // triage, remediation, sweep and findings queues with their DLQs, and the digest and coverage DLQs.
    expect(queues.length).toBe(10);
    // triage state, remediation state, audit, approvals, digest, inventory, coverage, sweep ledger.
    expect(tables.length).toBe(8);
    // Every member: one regional heartbeat per enabled region and the global one.
    expect(heartbeatScheduleArns.length).toBe(members.length * (inv.regions.length + 1));
    // trail key, security key, member request key: each key and its alias.
    expect(keys.length).toBe(6);
  });

  it('decide as with every statement simulated (the helper leaves out statements that cannot match the action)', async () => {
    const sample = kinds.flatMap(sampleOfKind);
    const decisions = async (enabled: boolean) => {
      pruning.enabled = enabled;
      try {
        return [
          ...(await unexpected(sample, admin, 'Allowed')),
          ...(await unexpected(sample, deploySession, 'ExplicitlyDenied')),
        ];
      } finally {
        pruning.enabled = true;
      }
    };
    const full = await decisions(false);
    expect(await decisions(true)).toEqual(full);
    // Every request was answered: the admin is denied and the deploy role allowed each one.
    expect(full).toHaveLength(2 * sample.reduce((n, t) => n + t.actions.length, 0));
  });

  describe.each(kinds)('%s', (kind) => {
    it('an ordinary admin of its account (member, security or log-archive) is denied every dangerous action', async () => {
      await expect(unexpected(ofKind(kind), admin, 'ExplicitlyDenied')).resolves.toEqual([]);
    });

    it('the deploy role may make each change', async () => {
      await expect(unexpected(ofKind(kind), deploySession, 'Allowed')).resolves.toEqual([]);
    });

    it('a role named like the deploy role on a path is denied', async () => {
      const onPath = (account: string) => `arn:aws:iam::${account}:role/x/${deployRoleName}`;
      await expect(unexpected(sampleOfKind(kind), onPath, 'ExplicitlyDenied')).resolves.toEqual([]);
    });

    it('a session named like the deploy role is denied', async () => {
      const session = (account: string) => `arn:aws:sts::${account}:assumed-role/Admin/${deployRoleName}`;
      await expect(unexpected(sampleOfKind(kind), session, 'ExplicitlyDenied')).resolves.toEqual([]);
    });
  });

  describe('the deploy role', () => {
    const ci = `arn:aws:iam::${WORKLOAD}:role/ci-terraform`;

    it("cannot be changed by another of vigil's roles", async () => {
      const remediation = (account: string) => `arn:aws:iam::${account}:role/vigil-remediation`;
      await expect(unexpected(deployRoles, remediation, 'ExplicitlyDenied')).resolves.toEqual([]);
    });

    it('can be changed by a CI principal listed in deployAdminPrincipalArns, and only then', async () => {
      const withCi = scpsOf(orgTrail(inventoryWith((i) => (i.deployAdminPrincipalArns = [ci]))));
      const workloadDeployRole = deployRoles.filter((r) => r.account === WORKLOAD);
      await expect(unexpected(workloadDeployRole, () => ci, 'Allowed', [ADMIN_POLICY], withCi)).resolves.toEqual([]);
      await expect(unexpected(workloadDeployRole, () => ci, 'ExplicitlyDenied')).resolves.toEqual([]);
    });
  });

  describe("vigil's role names", () => {
    const names = [deployRoleName, ...new Set([...memberRoles, ...centralRoles].map((r) => r.arn.split('/').pop()!))];
    const creations = (path: string): Protected[] =>
      names.map((name) => ({
        kind: 'role name',
        arn: `arn:aws:iam::${WORKLOAD}:role/${path}${name}`,
        account: WORKLOAD,
        actions: ['iam:CreateRole'],
      }));

    it.each(['', 'team/', 'vigil/deep/'])('cannot be created by an admin on path "/%s"', async (path) => {
      await expect(unexpected(creations(path), admin, 'ExplicitlyDenied')).resolves.toEqual([]);
    });

    it('can be created by the deploy role', async () => {
      await expect(unexpected(creations(''), deploySession, 'Allowed')).resolves.toEqual([]);
    });
  });

  describe('the remediation role', () => {
    const role = (account: string) => `arn:aws:iam::${account}:role/vigil-remediation`;
    const policiesIn = (account: string) => rolePolicies(members.find((m) => m.account === account)!.tf);
    // Bus-policy actions are not rule actions: they have no resource type (their own test below).
    const eventsActions = remediationPermissions(CATALOG).mutating.filter(
      (a) => a.startsWith('events:') && !CENTRAL_BUS_ONLY_ACTIONS.includes(a),
    );

    it('removes a statement from the central bus policy (remove-bus-policy-statement), and puts none', async () => {
      const remove = [{ kind: 'bus policy', arn: '*', account: SECURITY, actions: ['events:RemovePermission'] }];
      const put = [{ ...remove[0]!, actions: ['events:PutPermission'] }];
      await expect(
        unexpected(remove, role, 'Allowed', policiesIn(SECURITY).get('vigil-remediation')!),
      ).resolves.toEqual([]);
      await expect(
        unexpected(put, role, 'ExplicitlyDenied', policiesIn(SECURITY).get('vigil-remediation')!),
      ).resolves.toEqual([]);
    });

    it('passes the forwarder role of its account, as restoring the central-bus target does', async () => {
      for (const { account } of members) {
        const forwarder = memberRoles.filter((r) => r.account === account && r.arn.endsWith('/vigil-forwarder'));
        expect(forwarder).toHaveLength(1);
        // Restoring a target passes the forwarder role to EventBridge (the role policy allows no other service).
        const pass = forwarder.map((r) => ({
          ...r,
          actions: ['iam:PassRole'],
          context: { 'iam:PassedToService': 'events.amazonaws.com' },
        }));
        await expect(unexpected(pass, role, 'Allowed', policiesIn(account).get('vigil-remediation')!)).resolves.toEqual(
          [],
        );
      }
    });

    it('makes its catalog-derived repairs of a forwarding rule, pointing it at the central bus', async () => {
      expect(eventsActions).toEqual(expect.arrayContaining(['events:PutTargets', 'events:PutRule']));
      for (const { account } of members) {
        const repairs = forwardingRules
          .filter((r) => r.account === account)
          .map((r) => ({ ...r, actions: eventsActions, context: { 'events:TargetArn': [BUS_ARN] } }));
        await expect(
          unexpected(repairs, role, 'Allowed', policiesIn(account).get('vigil-remediation')!),
        ).resolves.toEqual([]);
      }
    });

    it.each([
      ['a foreign target', ['arn:aws:sqs:eu-west-1:999999999999:exfil']],
      ['the bus and a foreign target', [BUS_ARN, 'arn:aws:events:eu-west-1:999999999999:event-bus/copy']],
      ['no target ARN at all', undefined],
    ])('cannot put %s on a forwarding rule', async (_case, targetArns) => {
      const puts = forwardingRules.map((r) => ({
        ...r,
        actions: ['events:PutTargets'],
        ...(targetArns ? { context: { 'events:TargetArn': targetArns } } : {}),
      }));
      await expect(unexpected(puts, role, 'ExplicitlyDenied')).resolves.toEqual([]);
    });

    it('cannot delete or disable a forwarding rule', async () => {
      const removals = forwardingRules.map((r) => ({ ...r, actions: ['events:DeleteRule', 'events:DisableRule'] }));
      await expect(unexpected(removals, role, 'ExplicitlyDenied')).resolves.toEqual([]);
    });

    it('cannot touch the central rules', async () => {
      await expect(unexpected(centralRules, role, 'ExplicitlyDenied')).resolves.toEqual([]);
    });
  });

  describe('the heartbeat role', () => {
    const role = (account: string) => `arn:aws:iam::${account}:role/vigil-heartbeat`;
    const policiesIn = (account: string) => rolePolicies(members.find((m) => m.account === account)!.tf);
    const tagged = { 'aws:TagKeys': ['vigil:heartbeat'], 'aws:RequestTag/vigil:heartbeat': 'global-path' };

    it('makes its two calls: PutParameter of the heartbeat parameter in each region, TagRole of itself', async () => {
      for (const { account } of members) {
        const own = policiesIn(account).get('vigil-heartbeat')!;
        const puts = heartbeatParameters
          .filter((p) => p.account === account)
          .map((p) => ({ ...p, actions: ['ssm:PutParameter'] }));
        const tag = [{ kind: 'self', arn: role(account), account, actions: ['iam:TagRole'], context: tagged }];
        await expect(unexpected([...puts, ...tag], role, 'Allowed', own)).resolves.toEqual([]);
      }
    });

    it('can do nothing else, even where no guardrail applies', async () => {
      const account = WORKLOAD;
      const own = policiesIn(account).get('vigil-heartbeat')!;
      const param = heartbeatParameters.find((p) => p.account === account)!;
      const others: Protected[] = [
        { ...param, actions: ['ssm:DeleteParameter', 'ssm:LabelParameterVersion', 'ssm:GetParameter'] },
        {
          kind: 'x',
          arn: `arn:aws:ssm:${REGION}:${account}:parameter/app/config`,
          account,
          actions: ['ssm:PutParameter'],
        },
        {
          kind: 'x',
          arn: role(account),
          account,
          actions: ['iam:UpdateAssumeRolePolicy', 'iam:PutRolePolicy', 'iam:PassRole', 'iam:UntagRole'],
        },
        { kind: 'x', arn: role(account), account, actions: ['iam:TagRole'], context: { 'aws:TagKeys': ['other'] } },
        { kind: 'x', arn: admin(account), account, actions: ['iam:TagRole'], context: tagged },
        ...heartbeatScheduleArns.filter((s) => s.account === account),
        ...forwardingRules.filter((r) => r.account === account),
      ];
      const decisions = await unexpected(others, role, 'Allowed', own);
      // Every call is refused (explicitly by a guardrail or implicitly by its own policy).
      expect(decisions.length).toBe(others.reduce((n, o) => n + o.actions.length, 0));
    });

    it('cannot be passed to a schedule by an admin (a forged heartbeat)', async () => {
      const pass = [WORKLOAD, SECURITY].map((account) => ({
        kind: 'pass',
        arn: role(account),
        account,
        actions: ['iam:PassRole'],
        context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
      }));
      await expect(unexpected(pass, admin, 'ExplicitlyDenied')).resolves.toEqual([]);
      await expect(unexpected(pass, deploySession, 'Allowed')).resolves.toEqual([]);
    });
  });

  describe('the undo role', () => {
    const role = (account: string) => `arn:aws:iam::${account}:role/vigil-remediation-undo`;
    const undoEvents = remediationPermissions(CATALOG).undo.filter(
      (a) => a.startsWith('events:') && !CENTRAL_BUS_ONLY_ACTIONS.includes(a),
    );

    it('puts the central bus policy back (the undo of remove-bus-policy-statement), and removes nothing', async () => {
      const undoPolicies = rolePolicies(members.find((m) => m.account === SECURITY)!.tf).get('vigil-remediation-undo')!;
      const put = [{ kind: 'bus policy', arn: '*', account: SECURITY, actions: ['events:PutPermission'] }];
      const remove = [{ ...put[0]!, actions: ['events:RemovePermission'] }];
      await expect(unexpected(put, role, 'Allowed', undoPolicies)).resolves.toEqual([]);
      await expect(unexpected(remove, role, 'ExplicitlyDenied', undoPolicies)).resolves.toEqual([]);
    });

    it("makes restore-forwarding-rule's undo calls on a forwarding rule, putting back the targets it removed", async () => {
      expect(undoEvents).toEqual(expect.arrayContaining(['events:DisableRule', 'events:RemoveTargets']));
      for (const { account, tf } of members) {
        const undos = forwardingRules
          .filter((r) => r.account === account)
          .map((r) => ({
            ...r,
            actions: undoEvents,
            context: { 'events:TargetArn': ['arn:aws:sqs:eu-west-1:999999999999:was-there'] },
          }));
        await expect(
          unexpected(undos, role, 'Allowed', rolePolicies(tf).get('vigil-remediation-undo')!),
        ).resolves.toEqual([]);
      }
    });

    it('cannot delete a forwarding rule or touch the central rules', async () => {
      const deletes = forwardingRules.map((r) => ({ ...r, actions: ['events:DeleteRule'] }));
      await expect(unexpected([...deletes, ...centralRules], role, 'ExplicitlyDenied')).resolves.toEqual([]);
    });
  });

  describe(`invoking the member-facing function`, () => {
    const member = functions.filter((f) => f.arn.includes(`:function:${memberFunctionName}`));
    const invokes = member.map((f) => ({ ...f, actions: ['lambda:InvokeFunction', 'lambda:InvokeAsync'] }));

    it('is the function every member remediation role trusts, invoked by one other function', () => {
      expect(member).toHaveLength(2);
      expect(invokerName).not.toBe(memberFunctionName);
    });

    it('is allowed to the invoking function role, with its synthesized policy', async () => {
      const invoke = member.slice(0, 1).map((f) => ({ ...f, actions: ['lambda:InvokeFunction'] }));
      await expect(unexpected(invoke, () => invokerRole, 'Allowed', invokerPolicies)).resolves.toEqual([]);
    });

    it.each([
      ['an admin of the security account', admin(SECURITY)],
      ['the deploy role', deploySession(SECURITY)],
      ['a role of the same name in another account', `arn:aws:iam::${WORKLOAD}:role/${invokerName}`],
      ['a role of the same name on a path', `arn:aws:iam::${SECURITY}:role/x/${invokerName}`],
      ['a session of the same name', `arn:aws:sts::${SECURITY}:assumed-role/Admin/${invokerName}`],
      ["another of vigil's function roles", `arn:aws:iam::${SECURITY}:role/${memberFunctionName}`],
    ])('is denied to %s', async (_case, principal) => {
      await expect(unexpected(invokes, () => principal, 'ExplicitlyDenied')).resolves.toEqual([]);
    });
  });

  describe("vigil's functions keep working under the SCPs", () => {
    const fn = (name: string) => `arn:aws:iam::${SECURITY}:role/${name}`;
    const policies = rolePolicies(security);

    it.each(
      resourcesOfType(security, 'aws_lambda_event_source_mapping').map((m) => [
        referenced(security, m.function_name).function_name as string,
        referenced(security, m.event_source_arn).name as string,
      ]),
    )('%s consumes %s', async (name, queue) => {
      const consume = [
        {
          kind: 'queue',
          arn: `arn:aws:sqs:${REGION}:${SECURITY}:${queue}`,
          account: SECURITY,
          actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
        },
      ];
      await expect(unexpected(consume, () => fn(name), 'Allowed', policies.get(name)!)).resolves.toEqual([]);
    });

    it('each function writes the tables its policy names', async () => {
      const writes = [...policies].flatMap(([name, docs]) =>
        docs.flatMap((doc) =>
          (JSON.parse(doc as string).Statement as Json[])
            .filter((s) => s.Effect === 'Allow')
            .flatMap((s) =>
              [s.Action]
                .flat()
                .filter((a: string) => a === 'dynamodb:PutItem' || a === 'dynamodb:UpdateItem')
                .flatMap((a: string) => [s.Resource].flat().map((arn: string) => ({ name, arn, action: a }))),
            ),
        ),
      );
      expect(writes.length).toBeGreaterThan(0);
      for (const w of writes) {
        const target = [{ kind: 'table', arn: w.arn, account: SECURITY, actions: [w.action] }];
        await expect(unexpected(target, () => fn(w.name), 'Allowed', policies.get(w.name)!)).resolves.toEqual([]);
      }
    });
  });

  describe('the coverage map widget (read-only)', () => {
    it('may not write a table item even if its policy were widened: the SCP exempts only the writing functions', async () => {
      const tables = ['vigil-coverage', 'vigil-triage-state', 'vigil-inventory'].map((t) => ({
        kind: 'table',
        arn: `arn:aws:dynamodb:${REGION}:${SECURITY}:table/${t}`,
        account: SECURITY,
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      }));
      const mapRole = () => `arn:aws:iam::${SECURITY}:role/vigil-coverage-map`;
      await expect(unexpected(tables, mapRole, 'ExplicitlyDenied', [ADMIN_POLICY])).resolves.toEqual([]);
    });
  });

  describe('what the SCPs leave alone', () => {
    const own: Protected[] = (
      [
        { kind: 'rule', arn: `arn:aws:events:${REGION}:${WORKLOAD}:rule/app-nightly`, actions: RULE_CHANGES },
        {
          kind: 'function',
          arn: `arn:aws:lambda:${REGION}:${WORKLOAD}:function:app`,
          actions: ['lambda:UpdateFunctionCode', 'lambda:InvokeFunction'],
        },
        { kind: 'role', arn: `arn:aws:iam::${WORKLOAD}:role/app`, actions: ROLE_CHANGES },
        { kind: 'role', arn: `arn:aws:iam::${WORKLOAD}:role/team/app`, actions: ['iam:CreateRole'] },
        { kind: 'queue', arn: `arn:aws:sqs:${REGION}:${WORKLOAD}:app`, actions: ['sqs:PurgeQueue', 'sqs:DeleteQueue'] },
        {
          kind: 'parameter',
          arn: `arn:aws:ssm:${REGION}:${WORKLOAD}:parameter/app/flag`,
          actions: ['ssm:PutParameter'],
        },
        { kind: 'bucket', arn: 'arn:aws:s3:::app-bucket', actions: ['s3:PutBucketPolicy', 's3:DeleteBucket'] },
        { kind: 'bus policy', arn: '*', actions: ['events:PutPermission'] },
        {
          kind: 'key',
          arn: `arn:aws:kms:${REGION}:${WORKLOAD}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
          actions: ['kms:ScheduleKeyDeletion'],
          context: { 'kms:ResourceAliases': ['alias/app'] },
          resourcePolicy: keyPolicy(WORKLOAD),
        },
        {
          kind: 'event source mapping',
          arn: '*',
          actions: ['lambda:CreateEventSourceMapping'],
          context: { 'lambda:FunctionArn': `arn:aws:lambda:${REGION}:${WORKLOAD}:function:app` },
        },
      ] as Omit<Protected, 'account'>[]
    ).map((t) => ({ ...t, account: WORKLOAD }));

    it("lets a workload admin manage the account's own resources", async () => {
      await expect(unexpected(own, admin, 'Allowed')).resolves.toEqual([]);
    });
  });
});
