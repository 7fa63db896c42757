/** The security account's key: queues, topics and tables of vigil are encrypted with it. */
import { KmsAlias } from '../../framework/aws';
import { KmsKey } from '../../framework/aws';
import { securityKeyAlias } from '../../config/naming';
import { policyDocument } from '../policy-document';
import type { SecurityContext } from './context';

/**
 * Queue payloads are CloudTrail records (who did what, from where): encrypt with a key whose policy
 * admits EventBridge (SSE-KMS queue as a rule target) and CloudWatch alarms (encrypted ops topic) only
 * for this account.
 */
export function securityKey(ctx: SecurityContext): KmsKey {
  const key = new KmsKey(ctx.scope, 'queue-key', {
    provider: ctx.provider,
    description: `Encrypts ${ctx.prefix} security queues and topics`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: policyDocument([
      {
        Sid: 'KeyAdministrationByAccount',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ctx.account}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
      {
        Sid: 'EventBridgeRulesOfThisAccount',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': ctx.account } },
      },
      {
        Sid: 'CloudWatchAlarmsToEncryptedTopic',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': ctx.account } },
      },
    ]),
  });
  new KmsAlias(ctx.scope, 'queue-key-alias', {
    provider: ctx.provider,
    name: securityKeyAlias(ctx.inv),
    targetKeyId: key.keyId,
  });
  return key;
}
