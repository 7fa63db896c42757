/**
 * Names and ARNs that cross accounts, derived from the inventory by pure functions. Stacks never
 * reference each other's resources: in CDKTF a cross-stack reference becomes remote-state reads,
 * which across accounts means cross-account state access. Everything here is deterministic.
 */
import type { OrgInventory } from './inventory';

type Naming = Pick<OrgInventory, 'namePrefix'>;

/** Name of the central security event bus (security account, home region). */
export const centralBusName = (inv: Naming): string => `${inv.namePrefix}-security`;
/** Sid of the one statement vigil deploys in the central bus's policy (remove-bus-policy-statement keeps it). */
export const CENTRAL_BUS_POLICY_SID = 'OrgForwarderRolesPutEventsOnly';

export const centralBusArn = (inv: OrgInventory): string =>
  `arn:aws:events:${inv.homeRegion}:${inv.securityAccountId}:event-bus/${centralBusName(inv)}`;

/** Role EventBridge assumes in each member account to put events on the central bus. */
export const forwarderRoleName = (inv: Naming): string => `${inv.namePrefix}-forwarder`;

/** Role the central remediate-member function assumes in member accounts. */
export const remediationRoleName = (inv: Naming): string => `${inv.namePrefix}-remediation`;

/** Role the central remediate-member function assumes only to execute an approved undo. */
export const remediationUndoRoleName = (inv: Naming): string => `${inv.namePrefix}-remediation-undo`;

/** Read-only role (tags, describe calls) the central handlers assume in member accounts. */
export const readOnlyRoleName = (inv: Naming): string => `${inv.namePrefix}-readonly`;

/**
 * Role EventBridge Scheduler assumes in every member account to make the heartbeat calls (issue #11):
 * `ssm:PutParameter` on {@link heartbeatParameterName} in every enabled region, `iam:TagRole` on itself
 * (the global-service path through us-east-1). Triage recognises heartbeats by this role's exact ARN.
 */
export const heartbeatRoleName = (inv: Naming): string => `${inv.namePrefix}-heartbeat`;

/** The SSM parameter the regional heartbeat overwrites (standard tier, one per account and region). */
export const heartbeatParameterName = (inv: Naming): string => `/${inv.namePrefix}/heartbeat`;

/** The tag the global heartbeat puts on the heartbeat role (constant value, also set by Terraform: no drift). */
export const HEARTBEAT_TAG = { key: 'vigil:heartbeat', value: 'global-path' } as const;

/**
 * Names of the heartbeat schedules in a member account (default schedule group): `<prefix>-heartbeat`
 * in every enabled region (regional path), `<prefix>-heartbeat-global` in us-east-1 (global path).
 */
export const heartbeatScheduleNames = (inv: Naming) =>
  ({ regional: `${inv.namePrefix}-heartbeat`, global: `${inv.namePrefix}-heartbeat-global` }) as const;

/** Prefix of every EventBridge rule vigil owns (member forwarding and central routing). */
export const ruleNamePrefix = (inv: Naming): string => `${inv.namePrefix}-`;

/** Prefix of the member forwarding rules (`<prefix>-fwd-<pattern key>`, default bus of every member account). */
export const forwardingRuleNamePrefix = (inv: Naming): string => `${inv.namePrefix}-fwd-`;

/** Rules on the security account's default bus (schedules), as opposed to the central bus's routing rules. */
export const scheduleRuleNames = (inv: Naming) =>
  ({
    approvalTimeouts: `${inv.namePrefix}-approval-timeouts`,
    digest: `${inv.namePrefix}-digest`,
    coverage: `${inv.namePrefix}-coverage`,
  }) as const;

/** Archive of the central bus (replay). */
export const archiveName = (inv: Naming): string => `${centralBusName(inv)}-archive`;

/** Work queues in the security account; each has a dead-letter queue named by {@link deadLetterQueueName}. */
export const queueNames = (inv: Naming) =>
  ({
    triage: `${inv.namePrefix}-triage`,
    remediation: `${inv.namePrefix}-remediation`,
    /** S3 event notifications of the trail bucket, for the trail-log sweep (issue #12). */
    sweep: `${inv.namePrefix}-sweep`,
    /** Finding records and updates for the findings function (FIFO, group = finding id; issue #15). */
    findings: `${inv.namePrefix}-findings.fifo`,
  }) as const;

/** The dead-letter queue of a work queue; a FIFO queue's is FIFO too, so its name ends in `.fifo` as well. */
export const deadLetterQueueName = (queueName: string): string =>
  queueName.endsWith('.fifo') ? `${queueName.slice(0, -'.fifo'.length)}-dlq.fifo` : `${queueName}-dlq`;

/** DynamoDB tables in the security account. */
export const tableNames = (inv: Naming) =>
  ({
    triageState: `${inv.namePrefix}-triage-state`,
    remediationState: `${inv.namePrefix}-remediation-state`,
    remediationAudit: `${inv.namePrefix}-remediation-audit`,
    approvals: `${inv.namePrefix}-approvals`,
    /** Change-monitor events per day and owner, read back by the daily digest. */
    digest: `${inv.namePrefix}-digest`,
    /** The handlers' account view, read at run time (written by the security stack's deploy only). */
    inventory: `${inv.namePrefix}-inventory`,
    /**
     * Proof of coverage (issue #11): one item per account × region × path (`cell#<account>#<region>#<path>`,
     * the latest heartbeat, written by triage) and the coverage function's `state` item. TTL `expiresAt`.
     */
    coverage: `${inv.namePrefix}-coverage`,
    /** The trail-log sweep's ledger: one item per swept trail object (`file#<bucket>/<key>`), TTL `expiresAt`. */
    sweepLedger: `${inv.namePrefix}-sweep-ledger`,
  }) as const;

/** Alias of the security account's key (queues, tables, topics). */
export const securityKeyAlias = (inv: Naming): string => `alias/${inv.namePrefix}-security`;

export const deployRoleArn = (inv: OrgInventory, accountId: string): string =>
  `arn:aws:iam::${accountId}:role/${inv.deployRoleName}`;

export const roleArn = (accountId: string, roleName: string): string => `arn:aws:iam::${accountId}:role/${roleName}`;

/**
 * Role the CI identity (Terraform Cloud dynamic credentials, GitHub Actions OIDC or a named role)
 * assumes in the management account; all it may do is assume the deploy role of an org account, which
 * the stacks' providers then do (role chaining). Created by the bootstrap stack.
 */
export const ciRoleName = (inv: Pick<OrgInventory, 'deployRoleName'>): string => `${inv.deployRoleName}-ci`;

export const ciRoleArn = (inv: OrgInventory): string => roleArn(inv.managementAccountId, ciRoleName(inv));

/** The StackSet that puts the deploy role into every account of the org (management account, home region). */
export const deployRoleStackSetName = (inv: Naming): string => `${inv.namePrefix}-deploy-role`;

/** The organization trail (management account, home region). */
export const trailName = (inv: Naming): string => `${inv.namePrefix}-org-trail`;

export const trailArn = (inv: OrgInventory): string =>
  `arn:aws:cloudtrail:${inv.homeRegion}:${inv.managementAccountId}:trail/${trailName(inv)}`;

/** Trail bucket in the log-archive account; bucket names are global, so the account id is part of it. */
export const trailBucketName = (inv: OrgInventory): string =>
  `${inv.namePrefix}-org-trail-${inv.logArchiveAccountId}-${inv.homeRegion}`;

/** Alias of the trail's KMS key (log-archive account, home region). */
export const trailKeyAlias = (inv: Naming): string => `alias/${inv.namePrefix}-org-trail`;

/**
 * The trail is created in the management account but encrypts with a key in the log-archive
 * account. A key ARN is random, so the trail names the key by its alias ARN, which KMS accepts
 * cross-account for cryptographic operations.
 */
export const trailKeyAliasArn = (inv: OrgInventory): string =>
  `arn:aws:kms:${inv.homeRegion}:${inv.logArchiveAccountId}:${trailKeyAlias(inv)}`;

/** Stack ids are Terraform state identities: never rename them casually. */
export const stackIds = {
  /** The deploy role everywhere and the CI role (management account); applied with administrator credentials. */
  bootstrap: 'bootstrap',
  logArchive: 'log-archive',
  orgTrail: 'org-trail',
  security: 'security',
  member: (accountId: string): string => `member-${accountId}`,
  /** The Terraform Cloud workspaces (only with `backend.type: "tfc"`); applied with a Terraform Cloud token. */
  tfc: 'tfc',
} as const;

/** Lambda functions in the security account (the function's role has the same name). */
export const functionNames = (inv: Naming) =>
  ({
    triage: `${inv.namePrefix}-triage`,
    remediate: `${inv.namePrefix}-remediate`,
    remediateMember: `${inv.namePrefix}-remediate-member`,
    approve: `${inv.namePrefix}-approve`,
    approvalTimeouts: `${inv.namePrefix}-approval-timeouts`,
    digest: `${inv.namePrefix}-digest`,
    coverage: `${inv.namePrefix}-coverage`,
    coverageMap: `${inv.namePrefix}-coverage-map`,
    sweep: `${inv.namePrefix}-sweep`,
    /** Exports findings to Security Hub and the findings stream; exists only when findings are on (issue #15). */
    findings: `${inv.namePrefix}-findings`,
  }) as const;

/**
 * Functions that never write a table item (the coverage map widget): the guardrail SCP's table-item
 * protection does not exempt their roles.
 */
export const READ_ONLY_FUNCTIONS: ReadonlySet<keyof ReturnType<typeof functionNames>> = new Set(['coverageMap']);

/** The findings stream's delivery role (Firehose's; security account, only when the stream is on; issue #15). */
export const findingsDeliveryRoleName = (inv: Naming): string => `${inv.namePrefix}-findings-delivery`;

/**
 * Every role vigil creates: the member roles (every account), the central functions' roles and the findings
 * stream's delivery role (security account).
 */
export const vigilRoleNames = (inv: Naming): string[] => [
  forwarderRoleName(inv),
  heartbeatRoleName(inv),
  remediationRoleName(inv),
  remediationUndoRoleName(inv),
  readOnlyRoleName(inv),
  ...Object.values(functionNames(inv)),
  findingsDeliveryRoleName(inv),
];

/**
 * Alias of the KMS HMAC key remediate signs remediate-member's execute requests with (security account,
 * home region): only the remediate role may generate MACs with it, only remediate-member's may verify.
 */
export const memberRequestKeyAlias = (inv: Naming): string => `alias/${inv.namePrefix}-member-requests`;

/** Role of a central function, by exact ARN (member roles trust these and nothing else). */
export const functionRoleArn = (inv: OrgInventory, fn: keyof ReturnType<typeof functionNames>): string =>
  roleArn(inv.securityAccountId, functionNames(inv)[fn]);

/** The findings stream (Kinesis Data Firehose) and lake bucket of the security account (issue #15). */
export const findingsNames = (inv: OrgInventory) =>
  ({
    stream: `${inv.namePrefix}-findings`,
    bucket: `${inv.namePrefix}-findings-${inv.securityAccountId}-${inv.homeRegion}`,
    firehoseRole: findingsDeliveryRoleName(inv),
    glueDatabase: `${inv.namePrefix.replace(/-/g, '_')}_findings`,
  }) as const;
