/**
 * Remediation: remediate (work queue → decide, approve or act, report) and remediate-member, the only
 * function that holds member-account credentials and the member services' clients; it decides nothing.
 */
import type { KmsKey } from '../../framework/aws';
import { LambdaEventSourceMapping } from '../../framework/aws';
import type { SqsQueue } from '../../framework/aws';
import { join } from 'node:path';
import { type SecretRef, secretRefs } from '../../config/alerting';
import {
  centralBusArn,
  functionNames,
  readOnlyRoleName,
  remediationRoleName,
  remediationUndoRoleName,
  tableNames,
} from '../../config/naming';
import { remediateEnvironment } from '../../handlers/functions/remediate/spec';
import { remediateMemberEnvironment } from '../../handlers/functions/remediate-member/spec';
import { optional } from '../../handlers/functions/settings';
import { NodeFunction } from '../node-function';
import { findingsAccess } from './findings';
import type { Statement } from '../policy-document';
import { type SecurityContext, tableArn, useKey } from './context';
import { REMEDIATE_MEMBER_TIMEOUT_SECONDS, REMEDIATE_TIMEOUT_SECONDS } from './limits';
import { useRequestKey } from './member-request-key';
import { auditAppendOnly, workQueueArn } from './remediation-store';
import { secretReadStatements } from './secret-access';

/** The member-facing function: verifies each signed request, assumes the member role, makes the calls. */
export function remediateMemberFunction(
  ctx: SecurityContext,
  keys: { readonly requestKey: KmsKey; readonly securityKey: KmsKey },
  readInventory: Statement,
): NodeFunction {
  const { requestKey, securityKey } = keys;
  const { provider, inv, region, account } = ctx;
  return new NodeFunction(ctx.scope, 'remediate-member', {
    provider,
    functionName: functionNames(inv).remediateMember,
    entry: join(ctx.entrypoints, 'remediate-member.ts'),
    accountId: account,
    region,
    timeoutSeconds: REMEDIATE_MEMBER_TIMEOUT_SECONDS,
    logRetentionDays: ctx.alerting.logRetentionDays ?? 365,
    // Twice remediate's: each remediate invocation makes its member invokes one at a time.
    reservedConcurrency: 10,
    environment: remediateMemberEnvironment({
      namePrefix: ctx.prefix,
      memberRequestKeyArn: requestKey.arn,
      inventoryTable: tableNames(inv).inventory,
    }),
    statements: [
      useRequestKey(requestKey, 'VerifyMemberRequests', 'kms:VerifyMac'),
      readInventory,
      {
        // The inventory table is encrypted with the security key; this function reads nothing else with it.
        Sid: 'DecryptInventoryView',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: securityKey.arn,
        Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
      },
      {
        Sid: 'AssumeMemberRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: [remediationRoleName(inv), remediationUndoRoleName(inv), readOnlyRoleName(inv)].map(
          (n) => `arn:aws:iam::*:role/${n}`,
        ),
        Condition: { StringEquals: { 'aws:ResourceOrgID': inv.organizationId } },
      },
    ],
  });
}

export interface RemediateProps {
  readonly key: KmsKey;
  readonly requestKey: KmsKey;
  readonly workQueue: SqsQueue;
  readonly alertTopicArn: string;
  /** The approve function's URL: signed links by email point there. */
  readonly approveUrl: string;
  readonly files: Readonly<Record<string, string>>;
  /** Read access to the inventory table (constructs/security/inventory-table.ts). */
  readonly readInventory: Statement;
}

/** The remediate function and its work-queue source. */
export function remediateFunction(ctx: SecurityContext, props: RemediateProps): NodeFunction {
  const { provider, inv, region, account, alerting, remediation } = ctx;
  const names = functionNames(inv);
  const tables = tableNames(inv);
  const approvalsConfig = alerting.approvals ?? {};
  const memberFunctionArn = `arn:aws:lambda:${region}:${account}:function:${names.remediateMember}`;
  const remediate = new NodeFunction(ctx.scope, 'remediate', {
    provider,
    functionName: names.remediate,
    entry: join(ctx.entrypoints, 'remediate.ts'),
    accountId: account,
    region,
    timeoutSeconds: REMEDIATE_TIMEOUT_SECONDS,
    logRetentionDays: alerting.logRetentionDays ?? 365,
    // One remediation at a time per batch keeps the circuit breaker's counting exact.
    reservedConcurrency: 5,
    files: props.files,
    environment: {
      ...remediateEnvironment({
        stateTable: tables.remediationState,
        auditTable: tables.remediationAudit,
        approvalTable: tables.approvals,
        inventoryTable: tables.inventory,
        centralBusArn: centralBusArn(inv),
        deployRoleName: inv.deployRoleName,
        memberFunctionName: names.remediateMember,
        memberRequestKeyArn: props.requestKey.arn,
        ...optional('approvalSlackWebhookRef', approvalsConfig.slackWebhookRef),
        ...optional('escalationRoutingKeyRef', approvalsConfig.escalationRoutingKeyRef),
        // Signed links by email: the handler sends them only when key, base URL and sender are all set.
        ...(approvalsConfig.linkKeyRef
          ? { approvalLinkKeyRef: approvalsConfig.linkKeyRef, approvalBaseUrl: props.approveUrl }
          : {}),
        ...optional('approvalEmailFrom', approvalsConfig.emailFrom),
      }),
      ...findingsAccess(ctx).environment,
    },
    statements: [
      ...findingsAccess(ctx).statements,
      {
        Sid: 'ConsumeRemediationWork',
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
        Resource: workQueueArn(ctx),
      },
      {
        // Member accounts only through remediate-member: remediate holds no member credentials.
        Sid: 'InvokeMemberFunction',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: memberFunctionArn,
      },
      useRequestKey(props.requestKey, 'SignMemberRequests', 'kms:GenerateMac'),
      {
        Sid: 'IdempotencyAndBreaker',
        Effect: 'Allow',
        // adapters/remediation/idempotency.ts and breaker.ts never read an item back (no GetItem).
        Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        Resource: tableArn(ctx, tables.remediationState),
      },
      ...auditAppendOnly(ctx),
      props.readInventory,
      {
        Sid: 'ApprovalRequests',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: tableArn(ctx, tables.approvals),
      },
      {
        Sid: 'ReadKillSwitch',
        Effect: 'Allow',
        Action: 'ssm:GetParameter',
        Resource: `arn:aws:ssm:${region}:${account}:parameter${remediation.killSwitchParameter}`,
      },
      { Sid: 'PublishAlertEmail', Effect: 'Allow', Action: 'sns:Publish', Resource: props.alertTopicArn },
      ...(approvalsConfig.emailFrom
        ? [
            {
              // Only as the configured sender: the role cannot mail as anyone else it may have verified.
              Sid: 'SendApprovalLinkEmail',
              Effect: 'Allow',
              Action: 'ses:SendEmail',
              Resource: `arn:aws:ses:${region}:${account}:identity/*`,
              Condition: { StringEquals: { 'ses:FromAddress': approvalsConfig.emailFrom } },
            } satisfies Statement,
          ]
        : []),
      useKey(props.key),
      // Not the Slack signing secret: only approve verifies Slack's signatures.
      ...secretReadStatements(
        [
          ...new Set(
            [
              ...secretRefs(alerting),
              approvalsConfig.slackWebhookRef,
              approvalsConfig.linkKeyRef,
              approvalsConfig.escalationRoutingKeyRef,
            ].filter((r): r is SecretRef => !!r),
          ),
        ].sort(),
        region,
        account,
      ),
    ],
  });
  new LambdaEventSourceMapping(ctx.scope, 'remediation-source', {
    provider,
    eventSourceArn: props.workQueue.arn,
    functionName: remediate.function.arn,
    batchSize: 1,
    functionResponseTypes: ['ReportBatchItemFailures'],
    scalingConfig: { maximumConcurrency: 5 },
  });
  return remediate;
}

/** remediate reports outcomes only where config/alerting.json sends alerts, whatever a request names. */
export function alertRoutingFile(ctx: SecurityContext, alertTopicArn: string): string {
  const alerting = ctx.alerting;
  return `${JSON.stringify({
    routes: [alerting.default, ...Object.values(alerting.owners ?? {})].map(
      ({ slackChannel, slackWebhookRef, slackBotTokenRef, slackChannelId, pagerdutyRoutingKeyRef }) => ({
        slackChannel,
        slackWebhookRef,
        slackBotTokenRef,
        slackChannelId,
        pagerdutyRoutingKeyRef,
      }),
    ),
    emailTopicArn: alertTopicArn,
  })}\n`;
}
