/**
 * The generic remediation executor: sends `PlannedCall`s (from an action's `plan()` or `undo()`) to AWS
 * in a member account, one SDK command per call, in order, and stops at the first failure. It makes no
 * decisions: what to call comes from the pure core, this file only maps a call to its SDK client and
 * command through an explicit table (no dynamic require, so esbuild bundles exactly these commands).
 *
 * - Credentials: STS AssumeRole into `arn:aws:iam::<account>:role/<prefix>-remediation` (session name
 *   `vigil-remediate`), one memoized provider per account and region (the STS call goes to that region's
 *   endpoint); clients are cached per account, region and service for the life of the Lambda container.
 * - Throttling: SDK retry mode `adaptive` (client-side rate limiting plus backoff) with `maxAttempts`, so
 *   ThrottlingException / RequestLimitExceeded / Throttling / SlowDown are retried by the SDK.
 * - "Already in the desired state" errors count as done (e.g. revoking a rule that is gone); see
 *   ALREADY_DONE for each and its documentation.
 * - Partial failures the SDK does not throw for (EventBridge `FailedEntryCount`, EC2 `Return: false`)
 *   are failures.
 * - dryRun: returns the calls it would make and sends none.
 * Failures surface as `RemediationCallError` (with `permanent` and the calls already made).
 */
import {
  GetEventSelectorsCommand,
  PutEventSelectorsCommand,
  CloudTrailClient,
  type CloudTrailClientConfig,
  GetTrailCommand,
  GetTrailStatusCommand,
  LookupEventsCommand,
  StartLoggingCommand,
  StopLoggingCommand,
  UpdateTrailCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  ConfigServiceClient,
  type ConfigServiceClientConfig,
  DeleteConfigurationRecorderCommand,
  DeleteDeliveryChannelCommand,
  DescribeConfigurationRecordersCommand,
  DescribeConfigurationRecorderStatusCommand,
  DescribeDeliveryChannelsCommand,
  PutConfigurationRecorderCommand,
  PutDeliveryChannelCommand,
  StartConfigurationRecorderCommand,
  StopConfigurationRecorderCommand,
} from '@aws-sdk/client-config-service';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateNetworkAclEntryCommand,
  DescribeImageAttributeCommand,
  DescribeSnapshotAttributeCommand,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
  DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  ReplaceNetworkAclEntryCommand,
  type EC2ClientConfig,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  type EventBridgeClientConfig,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutPermissionCommand,
  PutTargetsCommand,
  RemovePermissionCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  DeleteGroupPolicyCommand,
  DeleteLoginProfileCommand,
  GetLoginProfileCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetGroupCommand,
  GetGroupPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  UpdateAccessKeyCommand,
  type IAMClientConfig,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListPolicyVersionsCommand,
  SetDefaultPolicyVersionCommand,
} from '@aws-sdk/client-iam';
import {
  CreateDetectorCommand,
  DeleteDetectorCommand,
  GetDetectorCommand,
  GuardDutyClient,
  type GuardDutyClientConfig,
  ListDetectorsCommand,
  UpdateDetectorCommand,
} from '@aws-sdk/client-guardduty';
import {
  CancelKeyDeletionCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  KMSClient,
  type KMSClientConfig,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import {
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBSnapshotAttributesCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  RDSClient,
  type RDSClientConfig,
} from '@aws-sdk/client-rds';
import {
  DeleteBucketPolicyCommand,
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  DeletePublicAccessBlockCommand as DeleteBucketPublicAccessBlockCommand,
  GetPublicAccessBlockCommand as GetBucketPublicAccessBlockCommand,
  PutPublicAccessBlockCommand as PutBucketPublicAccessBlockCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  DeletePublicAccessBlockCommand as DeleteAccountPublicAccessBlockCommand,
  GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand,
  PutPublicAccessBlockCommand as PutAccountPublicAccessBlockCommand,
  S3ControlClient,
  type S3ControlClientConfig,
} from '@aws-sdk/client-s3-control';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { PlannedCall, RemediationService } from '../../core/remediation/types';
import { classifySdkError } from '../../core/retry';
import { RemediationCallError } from '../../errors';

/** What the executor needs of an SDK client. */
export interface SdkClient {
  send(command: unknown): Promise<unknown>;
}

/** An SDK command class (`new XxxCommand(input)`). */
type CommandClass = new (input: any) => unknown;

/** A credentials provider as the SDK clients take it. */
export type CredentialsProvider = ReturnType<typeof fromTemporaryCredentials>;

/** Client settings shared by every service. */
interface BaseClientConfig {
  readonly region: string;
  readonly credentials: CredentialsProvider;
  readonly maxAttempts: number;
  readonly retryMode: 'adaptive';
  readonly [key: string]: unknown;
}

interface ServiceEntry {
  readonly client: (config: BaseClientConfig) => SdkClient;
  readonly commands: Readonly<Record<string, CommandClass>>;
}

/**
 * Every operation remediation may call (plans, undo and state reads), by service. Adding an action that
 * calls something new means adding it here; the registry test fails until it is.
 */
export const OPERATIONS: Readonly<Record<RemediationService, ServiceEntry>> = {
  cloudtrail: {
    client: (c) => new CloudTrailClient(c as CloudTrailClientConfig),
    commands: {
      GetEventSelectors: GetEventSelectorsCommand,
      GetTrail: GetTrailCommand,
      GetTrailStatus: GetTrailStatusCommand,
      LookupEvents: LookupEventsCommand,
      PutEventSelectors: PutEventSelectorsCommand,
      StartLogging: StartLoggingCommand,
      StopLogging: StopLoggingCommand,
      UpdateTrail: UpdateTrailCommand,
    },
  },
  config: {
    client: (c) => new ConfigServiceClient(c as ConfigServiceClientConfig),
    commands: {
      DeleteConfigurationRecorder: DeleteConfigurationRecorderCommand,
      DeleteDeliveryChannel: DeleteDeliveryChannelCommand,
      DescribeConfigurationRecorders: DescribeConfigurationRecordersCommand,
      DescribeConfigurationRecorderStatus: DescribeConfigurationRecorderStatusCommand,
      DescribeDeliveryChannels: DescribeDeliveryChannelsCommand,
      PutConfigurationRecorder: PutConfigurationRecorderCommand,
      PutDeliveryChannel: PutDeliveryChannelCommand,
      StartConfigurationRecorder: StartConfigurationRecorderCommand,
      StopConfigurationRecorder: StopConfigurationRecorderCommand,
    },
  },
  ec2: {
    client: (c) => new EC2Client(c as EC2ClientConfig),
    commands: {
      AuthorizeSecurityGroupIngress: AuthorizeSecurityGroupIngressCommand,
      DescribeSecurityGroupRules: DescribeSecurityGroupRulesCommand,
      RevokeSecurityGroupIngress: RevokeSecurityGroupIngressCommand,
      CreateNetworkAclEntry: CreateNetworkAclEntryCommand,
      DeleteNetworkAclEntry: DeleteNetworkAclEntryCommand,
      DescribeNetworkAcls: DescribeNetworkAclsCommand,
      ReplaceNetworkAclEntry: ReplaceNetworkAclEntryCommand,
      DescribeImageAttribute: DescribeImageAttributeCommand,
      DescribeSnapshotAttribute: DescribeSnapshotAttributeCommand,
      ModifyImageAttribute: ModifyImageAttributeCommand,
      ModifySnapshotAttribute: ModifySnapshotAttributeCommand,
    },
  },
  events: {
    client: (c) => new EventBridgeClient(c as EventBridgeClientConfig),
    commands: {
      DescribeRule: DescribeRuleCommand,
      DisableRule: DisableRuleCommand,
      EnableRule: EnableRuleCommand,
      ListTargetsByRule: ListTargetsByRuleCommand,
      PutRule: PutRuleCommand,
      PutTargets: PutTargetsCommand,
      RemoveTargets: RemoveTargetsCommand,
      DescribeEventBus: DescribeEventBusCommand,
      PutPermission: PutPermissionCommand,
      RemovePermission: RemovePermissionCommand,
    },
  },
  iam: {
    client: (c) => new IAMClient(c as IAMClientConfig),
    commands: {
      AttachGroupPolicy: AttachGroupPolicyCommand,
      AttachRolePolicy: AttachRolePolicyCommand,
      AttachUserPolicy: AttachUserPolicyCommand,
      DetachGroupPolicy: DetachGroupPolicyCommand,
      DetachRolePolicy: DetachRolePolicyCommand,
      DetachUserPolicy: DetachUserPolicyCommand,
      GetGroup: GetGroupCommand,
      GetRole: GetRoleCommand,
      GetUser: GetUserCommand,
      ListAttachedGroupPolicies: ListAttachedGroupPoliciesCommand,
      ListAttachedRolePolicies: ListAttachedRolePoliciesCommand,
      ListAttachedUserPolicies: ListAttachedUserPoliciesCommand,
      ListPolicyVersions: ListPolicyVersionsCommand,
      SetDefaultPolicyVersion: SetDefaultPolicyVersionCommand,
      DeleteGroupPolicy: DeleteGroupPolicyCommand,
      DeleteRolePolicy: DeleteRolePolicyCommand,
      DeleteUserPolicy: DeleteUserPolicyCommand,
      GetGroupPolicy: GetGroupPolicyCommand,
      GetRolePolicy: GetRolePolicyCommand,
      GetUserPolicy: GetUserPolicyCommand,
      PutGroupPolicy: PutGroupPolicyCommand,
      PutRolePolicy: PutRolePolicyCommand,
      PutUserPolicy: PutUserPolicyCommand,
      AddUserToGroup: AddUserToGroupCommand,
      RemoveUserFromGroup: RemoveUserFromGroupCommand,
      ListAccessKeys: ListAccessKeysCommand,
      UpdateAccessKey: UpdateAccessKeyCommand,
      DeleteLoginProfile: DeleteLoginProfileCommand,
      GetLoginProfile: GetLoginProfileCommand,
    },
  },
  guardduty: {
    client: (c) => new GuardDutyClient(c as GuardDutyClientConfig),
    commands: {
      CreateDetector: CreateDetectorCommand,
      DeleteDetector: DeleteDetectorCommand,
      GetDetector: GetDetectorCommand,
      ListDetectors: ListDetectorsCommand,
      UpdateDetector: UpdateDetectorCommand,
    },
  },
  kms: {
    client: (c) => new KMSClient(c as KMSClientConfig),
    commands: {
      CancelKeyDeletion: CancelKeyDeletionCommand,
      DescribeKey: DescribeKeyCommand,
      DisableKey: DisableKeyCommand,
      EnableKey: EnableKeyCommand,
      ScheduleKeyDeletion: ScheduleKeyDeletionCommand,
    },
  },
  rds: {
    client: (c) => new RDSClient(c as RDSClientConfig),
    commands: {
      DescribeDBClusterSnapshotAttributes: DescribeDBClusterSnapshotAttributesCommand,
      DescribeDBSnapshotAttributes: DescribeDBSnapshotAttributesCommand,
      ModifyDBClusterSnapshotAttribute: ModifyDBClusterSnapshotAttributeCommand,
      ModifyDBSnapshotAttribute: ModifyDBSnapshotAttributeCommand,
    },
  },
  s3: {
    client: (c) => new S3Client(c as S3ClientConfig),
    commands: {
      DeletePublicAccessBlock: DeleteBucketPublicAccessBlockCommand,
      GetPublicAccessBlock: GetBucketPublicAccessBlockCommand,
      PutPublicAccessBlock: PutBucketPublicAccessBlockCommand,
      DeleteBucketPolicy: DeleteBucketPolicyCommand,
      GetBucketPolicy: GetBucketPolicyCommand,
      PutBucketPolicy: PutBucketPolicyCommand,
      GetBucketAcl: GetBucketAclCommand,
      PutBucketAcl: PutBucketAclCommand,
    },
  },
  s3control: {
    client: (c) => new S3ControlClient(c as S3ControlClientConfig),
    commands: {
      DeletePublicAccessBlock: DeleteAccountPublicAccessBlockCommand,
      GetPublicAccessBlock: GetAccountPublicAccessBlockCommand,
      PutPublicAccessBlock: PutAccountPublicAccessBlockCommand,
    },
  },
};

/** Whether the executor can send this call. */
export const isSupported = (c: Pick<PlannedCall, 'service' | 'operation'>): boolean =>
  Object.hasOwn(OPERATIONS, c.service) && Object.hasOwn(OPERATIONS[c.service].commands, c.operation);

/**
 * Errors that mean the call's goal already holds, per operation. Each is documented as the answer to
 * "nothing to do" for that operation:
 * - RevokeSecurityGroupIngress: `InvalidPermission.NotFound` ("the specified rule does not exist in this
 *   security group", EC2 API reference) and `InvalidSecurityGroupRuleId.NotFound` (a rule id that is gone).
 * - AuthorizeSecurityGroupIngress (undo): `InvalidPermission.Duplicate` (the rule exists).
 * - Detach*Policy: `NoSuchEntity` (the policy is not attached, or the principal is gone; IAM API reference).
 * - Delete{User,Role,Group}Policy: `NoSuchEntity` (the inline policy, or its principal, is gone).
 * - RemoveUserFromGroup: `NoSuchEntity` (the user or the group is gone).
 * - RemovePermission (EventBridge): `ResourceNotFoundException` (the statement id is not in the bus policy).
 * - DeleteLoginProfile: `NoSuchEntity` (the user has no login profile, or is gone).
 * - CancelKeyDeletion: `KMSInvalidStateException` — the key is not pending deletion any more (cancelled
 *   meanwhile). It is also KMS's answer for other states (e.g. Unavailable), so the orchestrator's
 *   verify step, which re-reads the key, is what confirms the fix.
 * - ScheduleKeyDeletion (undo): `KMSInvalidStateException` when the key is already pending deletion.
 * - DeletePublicAccessBlock (undo): `NoSuchPublicAccessBlockConfiguration` (nothing to delete).
 * - DeleteNetworkAclEntry: `InvalidNetworkAclEntry.NotFound` (the entry is gone; EC2 error codes).
 * - CreateNetworkAclEntry (undo): `NetworkAclEntryAlreadyExists` (an entry holds that rule number already).
 * - DeleteConfigurationRecorder / DeleteDeliveryChannel (undo): `NoSuchConfigurationRecorderException` /
 *   `NoSuchDeliveryChannelException` (already gone).
 * - DeleteBucketPolicy: S3 answers 204 when there is no policy; `NoSuchBucketPolicy` is listed for the
 *   S3-compatible answers that send it.
 * StartLogging, StartConfigurationRecorder, EnableRule, SetDefaultPolicyVersion, Put* and Attach*Policy
 * succeed when repeated, so they need no entry.
 */
export const ALREADY_DONE: Readonly<Record<string, readonly string[]>> = {
  'ec2:RevokeSecurityGroupIngress': ['InvalidPermission.NotFound', 'InvalidSecurityGroupRuleId.NotFound'],
  'ec2:AuthorizeSecurityGroupIngress': ['InvalidPermission.Duplicate'],
  'iam:DetachUserPolicy': ['NoSuchEntity', 'NoSuchEntityException'],
  'iam:DetachRolePolicy': ['NoSuchEntity', 'NoSuchEntityException'],
  'iam:DetachGroupPolicy': ['NoSuchEntity', 'NoSuchEntityException'],
  'kms:CancelKeyDeletion': ['KMSInvalidStateException'],
  'kms:ScheduleKeyDeletion': ['KMSInvalidStateException'],
  's3:DeletePublicAccessBlock': ['NoSuchPublicAccessBlockConfiguration'],
  's3control:DeletePublicAccessBlock': ['NoSuchPublicAccessBlockConfiguration'],
  's3:DeleteBucketPolicy': ['NoSuchBucketPolicy'],
  'iam:DeleteUserPolicy': ['NoSuchEntity', 'NoSuchEntityException'],
  'iam:DeleteRolePolicy': ['NoSuchEntity', 'NoSuchEntityException'],
  'iam:DeleteGroupPolicy': ['NoSuchEntity', 'NoSuchEntityException'],
  'iam:RemoveUserFromGroup': ['NoSuchEntity', 'NoSuchEntityException'],
  'events:RemovePermission': ['ResourceNotFoundException'],
  'iam:DeleteLoginProfile': ['NoSuchEntity', 'NoSuchEntityException'],
  'ec2:DeleteNetworkAclEntry': ['InvalidNetworkAclEntry.NotFound'],
  'ec2:CreateNetworkAclEntry': ['NetworkAclEntryAlreadyExists'],
  'config:DeleteConfigurationRecorder': ['NoSuchConfigurationRecorderException'],
  'config:DeleteDeliveryChannel': ['NoSuchDeliveryChannelException'],
};

/** Request fields that are timestamps: the plan carries ISO strings (plain JSON), the SDK wants Dates. */
const TIMESTAMP_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'cloudtrail:LookupEvents': ['StartTime', 'EndTime'],
};

/** The SDK input of a planned call. */
export function sdkInput(c: PlannedCall): Record<string, unknown> {
  const input: Record<string, unknown> = { ...c.input };
  for (const field of TIMESTAMP_FIELDS[`${c.service}:${c.operation}`] ?? []) {
    const v = input[field];
    if (typeof v === 'string') input[field] = new Date(v);
  }
  return input;
}

/** How clients are made. */
export interface ClientPoolOptions {
  /** Role assumed in every member account. */
  readonly roleName: string;
  /** STS session name (shows in the member's CloudTrail as the session of the role). */
  readonly sessionName: string;
  /** Attempts per call, the first included, with the SDK's adaptive retry mode. @default 6 */
  readonly maxAttempts?: number;
  /**
   * Credentials for an account.
   * @default - AssumeRole into `arn:aws:iam::<account>:role/<roleName>` with the Lambda's own credentials
   */
  readonly credentialsFor?: (accountId: string, region: string) => CredentialsProvider;
  /** Extra client settings (tests: a `requestHandler`). @default - none */
  readonly clientConfig?: Readonly<Record<string, unknown>>;
}

/** Clients per account, region and service, created on first use. */
export interface ClientPool {
  clientFor(service: RemediationService, accountId: string, region: string): SdkClient;
}

/** Reuses a provider's credentials until five minutes before they expire (one AssumeRole per account and hour). */
function memoize(provider: CredentialsProvider): CredentialsProvider {
  let current: ReturnType<CredentialsProvider> | undefined;
  return async () => {
    if (current) {
      const creds = await current.catch(() => undefined);
      if (creds && (!creds.expiration || creds.expiration.getTime() - Date.now() > 300_000)) return creds;
    }
    current = provider();
    return current;
  };
}

/** Builds a {@link ClientPool}. Also used by the state reader, with the read-only role. */
export function makeClientPool(options: ClientPoolOptions): ClientPool {
  const clients = new Map<string, SdkClient>();
  const credentials = new Map<string, CredentialsProvider>();
  const credentialsFor =
    options.credentialsFor ??
    ((accountId: string, region: string) =>
      fromTemporaryCredentials({
        params: { RoleArn: `arn:aws:iam::${accountId}:role/${options.roleName}`, RoleSessionName: options.sessionName },
        // The regional STS endpoint of the call's region: no dependency on us-east-1 for other regions.
        clientConfig: { region },
      }));
  return {
    clientFor(service, accountId, region) {
      const key = `${accountId}|${region}|${service}`;
      const cached = clients.get(key);
      if (cached) return cached;
      const credsKey = `${accountId}|${region}`;
      const creds = credentials.get(credsKey) ?? memoize(credentialsFor(accountId, region));
      credentials.set(credsKey, creds);
      const client = OPERATIONS[service].client({
        ...options.clientConfig,
        region,
        credentials: creds,
        maxAttempts: options.maxAttempts ?? 6,
        retryMode: 'adaptive',
      });
      clients.set(key, client);
      return client;
    },
  };
}

/** Sends one call; throws the SDK's error as is. */
export async function sendCall(pool: ClientPool, accountId: string, c: PlannedCall): Promise<Record<string, unknown>> {
  const Command = OPERATIONS[c.service].commands[c.operation]!;
  const output = await pool.clientFor(c.service, accountId, c.region).send(new Command(sdkInput(c)));
  return (output ?? {}) as Record<string, unknown>;
}

/** What happened to one call. */
export interface ExecutedCall {
  readonly call: PlannedCall;
  /** `done`: sent and succeeded; `already-done`: AWS said the goal already holds; `would-call`: dry-run. */
  readonly outcome: 'done' | 'already-done' | 'would-call';
  /** The AWS error code for `already-done`. @default - none */
  readonly code?: string;
}

/** The result of {@link RemediationExecutor.execute}. */
export interface ExecutionResult {
  readonly dryRun: boolean;
  readonly calls: readonly ExecutedCall[];
}

/** Sends planned calls to a member account. */
export interface RemediationExecutor {
  /**
   * Sends `calls` in order in `accountId`; with `dryRun` sends nothing and returns the calls it would
   * make. Throws `RemediationCallError` at the first failure (nothing after it is sent).
   */
  execute(request: {
    readonly accountId: string;
    readonly calls: readonly PlannedCall[];
    readonly dryRun?: boolean;
  }): Promise<ExecutionResult>;
}

/** Options of {@link makeRemediationExecutor}. */
export interface ExecutorOptions extends Partial<Omit<ClientPoolOptions, 'sessionName'>> {
  /** The inventory's `namePrefix`. */
  readonly namePrefix: string;
}

const errorName = (err: unknown): string =>
  typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string'
    ? (err as { name: string }).name
    : 'Error';

/** A reported partial failure in an output the SDK did not throw for, or undefined. */
function partialFailure(output: Record<string, unknown>): { code: string; message: string } | undefined {
  const failed = output['FailedEntryCount'];
  if (typeof failed === 'number' && failed > 0) {
    const entries = Array.isArray(output['FailedEntries'])
      ? (output['FailedEntries'] as Record<string, unknown>[])
      : [];
    const first = entries[0] ?? {};
    return {
      code: String(first['ErrorCode'] ?? 'FailedEntries'),
      message: `${failed} entr${failed === 1 ? 'y' : 'ies'} failed: ${String(first['ErrorMessage'] ?? '')}`,
    };
  }
  if (output['Return'] === false) return { code: 'ReturnFalse', message: 'the service answered Return=false' };
  return undefined;
}

/** Builds the executor. The role defaults to `<namePrefix>-remediation` (config/naming.ts remediationRoleName). */
export function makeRemediationExecutor(options: ExecutorOptions): RemediationExecutor {
  const pool = makeClientPool({
    ...options,
    roleName: options.roleName ?? `${options.namePrefix}-remediation`,
    sessionName: 'vigil-remediate',
  });
  return {
    async execute({ accountId, calls, dryRun = false }) {
      const unsupported = calls.findIndex((c) => !isSupported(c));
      if (unsupported >= 0) {
        const c = calls[unsupported]!;
        // Checked before anything is sent: a plan the executor cannot finish must not start.
        throw new RemediationCallError(`${c.service}:${c.operation} is not in the executor's table`, {
          accountId,
          region: c.region,
          service: c.service,
          operation: c.operation,
          code: 'UnsupportedOperation',
          permanent: true,
          index: unsupported,
          completed: [],
        });
      }
      if (dryRun) return { dryRun: true, calls: calls.map((c) => ({ call: c, outcome: 'would-call' as const })) };
      const done: ExecutedCall[] = [];
      for (const [index, c] of calls.entries()) {
        const where = { accountId, region: c.region, service: c.service, operation: c.operation, index };
        const completed = done.map((d) => d.call.operation);
        let output: Record<string, unknown>;
        try {
          output = await sendCall(pool, accountId, c);
        } catch (err) {
          const code = errorName(err);
          if (ALREADY_DONE[`${c.service}:${c.operation}`]?.includes(code)) {
            done.push({ call: c, outcome: 'already-done', code });
            continue;
          }
          throw new RemediationCallError(
            `${c.service}:${c.operation} in ${accountId}/${c.region} failed: ${code}: ${(err as Error)?.message ?? ''}`,
            { ...where, code, permanent: classifySdkError(err as object) === 'permanent', completed },
            { cause: err },
          );
        }
        const partial = partialFailure(output);
        if (partial) {
          throw new RemediationCallError(
            `${c.service}:${c.operation} in ${accountId}/${c.region} failed: ${partial.code}: ${partial.message}`,
            {
              ...where,
              code: partial.code,
              // EventBridge reports concurrent changes and internal errors per entry; those may pass on retry.
              permanent: !/Concurrent|Internal|Throttl/.test(partial.code),
              completed,
            },
          );
        }
        done.push({ call: c, outcome: 'done' });
      }
      return { dryRun: false, calls: done };
    },
  };
}
