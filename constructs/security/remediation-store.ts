/**
 * Remediation's state: the work queue (with its dead-letter queue), the idempotency/breaker table, the
 * append-only audit table, the approvals table, and the kill switch; plus the statements that grant
 * their use the same way to every function that needs them.
 */
import type { KmsKey } from '../../framework/aws';
import { SsmParameter } from '../../framework/aws';
import { queueNames, tableNames } from '../../config/naming';
import type { Statement } from '../policy-document';
import { queueWithDlq, type SecurityContext, secureTable, tableArn } from './context';
import { REMEDIATE_TIMEOUT_SECONDS } from './limits';

export function remediationStore(ctx: SecurityContext, key: KmsKey) {
  const names = tableNames(ctx.inv);
  const { queue } = queueWithDlq(
    ctx,
    key,
    'remediation',
    queueNames(ctx.inv).remediation,
    6 * REMEDIATE_TIMEOUT_SECONDS,
    3,
  );
  secureTable(ctx, key, 'remediation-state', {
    name: names.remediationState,
    hashKey: 'pk',
    attribute: [{ name: 'pk', type: 'S' }],
    ttl: { attributeName: 'expiresAt', enabled: true },
  });
  // Append-only by IAM (the writers may only PutItem) and kept: no TTL, point-in-time recovery.
  secureTable(ctx, key, 'remediation-audit', {
    name: names.remediationAudit,
    hashKey: 'pk',
    rangeKey: 'sk',
    attribute: [
      { name: 'pk', type: 'S' },
      { name: 'sk', type: 'S' },
    ],
  });
  secureTable(ctx, key, 'approvals', {
    name: names.approvals,
    hashKey: 'id',
    attribute: [
      { name: 'id', type: 'S' },
      { name: 'status', type: 'S' },
      { name: 'expiresAt', type: 'N' },
    ],
    globalSecondaryIndex: [
      { name: 'status-expiresAt', hashKey: 'status', rangeKey: 'expiresAt', projectionType: 'ALL' },
    ],
    ttl: { attributeName: 'ttl', enabled: true },
  });
  // Created "off"; operators flip it by hand, so Terraform never resets their value.
  new SsmParameter(ctx.scope, 'kill-switch', {
    provider: ctx.provider,
    name: ctx.remediation.killSwitchParameter,
    type: 'String',
    value: 'off',
    description: 'vigil remediation kill switch: "on" stops every automatic and approved change',
    lifecycle: { ignoreChanges: ['value'] },
  });
  return { workQueue: queue };
}

/** ARN and URL of the remediation work queue. */
export const workQueueArn = (ctx: SecurityContext) =>
  `arn:aws:sqs:${ctx.region}:${ctx.account}:${queueNames(ctx.inv).remediation}`;
export const workQueueUrl = (ctx: SecurityContext) =>
  `https://sqs.${ctx.region}.amazonaws.com/${ctx.account}/${queueNames(ctx.inv).remediation}`;

/** The audit table is appended to and read, never rewritten (the deny holds against any later grant). */
export const auditAppendOnly = (ctx: SecurityContext): Statement[] => [
  {
    Sid: 'AuditAppend',
    Effect: 'Allow',
    Action: ['dynamodb:PutItem', 'dynamodb:Query'],
    Resource: tableArn(ctx, tableNames(ctx.inv).remediationAudit),
  },
  {
    Sid: 'AuditNeverRewritten',
    Effect: 'Deny',
    Action: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
    Resource: tableArn(ctx, tableNames(ctx.inv).remediationAudit),
  },
];

export const sendWork = (ctx: SecurityContext): Statement => ({
  Sid: 'SendRemediationWork',
  Effect: 'Allow',
  Action: 'sqs:SendMessage',
  Resource: workQueueArn(ctx),
});
