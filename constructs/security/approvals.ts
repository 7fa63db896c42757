/**
 * Human approval: the approve function behind a public function URL (Slack interactivity and signed
 * links, both verified in the function), and the scheduled sweep that expires, escalates or acts on
 * requests past their timeout.
 */
import { CloudwatchEventRule } from '../../framework/aws';
import { CloudwatchEventTarget } from '../../framework/aws';
import type { KmsKey } from '../../framework/aws';
import { LambdaFunctionUrl } from '../../framework/aws';
import { LambdaPermission } from '../../framework/aws';
import { TerraformOutput } from '../../framework/cdktf';
import { join } from 'node:path';
import type { SecretRef } from '../../config/alerting';
import { functionNames, scheduleRuleNames, tableNames } from '../../config/naming';
import { approvalTimeoutsEnvironment } from '../../handlers/functions/approval-timeouts/spec';
import { approveEnvironment } from '../../handlers/functions/approve/spec';
import { optional } from '../../handlers/functions/settings';
import { NodeFunction } from '../node-function';
import { findingsAccess } from './findings';
import { type SecurityContext, tableArn, useKey } from './context';
import { INVOKED_VIA_URL_PROVIDER_VERSION } from './limits';
import { auditAppendOnly, sendWork, workQueueUrl } from './remediation-store';
import { secretReadStatements } from './secret-access';

/** The tables and queue approve and the timeout sweep share. */
const approvalStores = (ctx: SecurityContext) => ({
  tableName: tableNames(ctx.inv).approvals,
  auditTable: tableNames(ctx.inv).remediationAudit,
  workQueueUrl: workQueueUrl(ctx),
});

/** The approve function and its URL; the URL is an output (Slack's Interactivity Request URL). */
export function approvalEndpoint(ctx: SecurityContext, key: KmsKey, remediationFile: string) {
  const { provider, region, account, alerting } = ctx;
  const approvalsConfig = alerting.approvals ?? {};
  const approvalTableName = tableNames(ctx.inv).approvals;
  const approve = new NodeFunction(ctx.scope, 'approve', {
    provider,
    functionName: functionNames(ctx.inv).approve,
    entry: join(ctx.entrypoints, 'approve.ts'),
    accountId: account,
    region,
    // Slack expects an answer within 3 seconds; the work itself goes to the queue.
    timeoutSeconds: 10,
    reservedConcurrency: 5,
    logRetentionDays: alerting.logRetentionDays ?? 365,
    files: { 'remediation.json': remediationFile },
    environment: {
      ...approveEnvironment({
        ...approvalStores(ctx),
        ...optional('slackSigningSecretRef', approvalsConfig.slackSigningSecretRef),
        ...optional('linkKeyRef', approvalsConfig.linkKeyRef),
      }),
      // Verdicts update their finding (issue #15).
      ...findingsAccess(ctx).environment,
    },
    statements: [
      ...findingsAccess(ctx).statements,
      {
        Sid: 'DecideApprovals',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
        Resource: tableArn(ctx, approvalTableName),
      },
      ...auditAppendOnly(ctx),
      sendWork(ctx),
      useKey(key),
      ...secretReadStatements(
        [approvalsConfig.slackSigningSecretRef, approvalsConfig.linkKeyRef].filter((r): r is SecretRef => !!r).sort(),
        region,
        account,
      ),
    ],
  });
  // Authentication happens in the function: Slack's signature (with a timestamp window) or a
  // single-use signed link; Slack cannot sign with AWS credentials, so the URL itself is public.
  const url = new LambdaFunctionUrl(ctx.scope, 'approve-url', {
    provider,
    functionName: approve.function.functionName,
    authorizationType: 'NONE',
  });
  new LambdaPermission(ctx.scope, 'approve-url-permission', {
    provider,
    statementId: 'PublicUrlVerifiedInFunction',
    action: 'lambda:InvokeFunctionUrl',
    functionName: approve.function.functionName,
    principal: '*',
    functionUrlAuthType: 'NONE',
  });
  // Function URLs created since October 2025 also need lambda:InvokeFunction, limited to calls through
  // the URL (`lambda:InvokedViaFunctionUrl`), or every request is refused with 403 (AWS Lambda developer
  // guide, "Control access to Lambda function URLs"). Without that condition the statement would let
  // anyone invoke the function directly. Provider 6.29.0 added `invoked_via_function_url`; the 6.25
  // binding in node_modules lacks it, hence the override and the provider pin of the stack.
  const viaUrl = new LambdaPermission(ctx.scope, 'approve-url-invoke-permission', {
    provider,
    statementId: 'PublicInvokeOnlyViaUrl',
    action: 'lambda:InvokeFunction',
    functionName: approve.function.functionName,
    principal: '*',
  });
  viaUrl.addOverride('invoked_via_function_url', true);
  ctx.scope.addOverride('terraform.required_providers.aws.version', INVOKED_VIA_URL_PROVIDER_VERSION);
  new TerraformOutput(ctx.scope, 'approval-url', {
    description: "Slack app Interactivity Request URL: this value followed by 'slack/interactions'",
    value: url.functionUrl,
  });
  return { approve, url: url.functionUrl };
}

/** The sweep over expired approval requests, every 5 minutes. */
export function approvalTimeouts(ctx: SecurityContext, key: KmsKey, remediationFile: string): NodeFunction {
  const { provider, region, account, alerting } = ctx;
  const approvalsConfig = alerting.approvals ?? {};
  const approvalTableName = tableNames(ctx.inv).approvals;
  const timeouts = new NodeFunction(ctx.scope, 'approval-timeouts', {
    provider,
    functionName: functionNames(ctx.inv).approvalTimeouts,
    entry: join(ctx.entrypoints, 'approval-timeouts.ts'),
    accountId: account,
    region,
    timeoutSeconds: 60,
    logRetentionDays: alerting.logRetentionDays ?? 365,
    files: { 'remediation.json': remediationFile },
    environment: approvalTimeoutsEnvironment({
      ...approvalStores(ctx),
      ...optional('escalationRoutingKeyRef', approvalsConfig.escalationRoutingKeyRef),
    }),
    statements: [
      {
        Sid: 'SweepExpiredApprovals',
        Effect: 'Allow',
        Action: ['dynamodb:Query', 'dynamodb:UpdateItem'],
        Resource: [tableArn(ctx, approvalTableName), `${tableArn(ctx, approvalTableName)}/index/status-expiresAt`],
      },
      ...auditAppendOnly(ctx),
      sendWork(ctx),
      useKey(key),
      ...secretReadStatements(
        [approvalsConfig.escalationRoutingKeyRef].filter((r): r is SecretRef => !!r),
        region,
        account,
      ),
    ],
  });
  const schedule = new CloudwatchEventRule(ctx.scope, 'approval-timeouts-schedule', {
    provider,
    name: scheduleRuleNames(ctx.inv).approvalTimeouts,
    description: 'Expire, escalate or act on approval requests past their timeout',
    scheduleExpression: 'rate(5 minutes)',
  });
  new CloudwatchEventTarget(ctx.scope, 'approval-timeouts-target', {
    provider,
    rule: schedule.name,
    targetId: 'sweeper',
    arn: timeouts.function.arn,
  });
  new LambdaPermission(ctx.scope, 'approval-timeouts-permission', {
    provider,
    statementId: 'ScheduleOnly',
    action: 'lambda:InvokeFunction',
    functionName: timeouts.function.functionName,
    principal: 'events.amazonaws.com',
    sourceArn: schedule.arn,
  });
  return timeouts;
}
