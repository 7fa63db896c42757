/**
 * The member request key: remediate signs execute requests, remediate-member verifies them. An HMAC
 * key whose policy lets only remediate's role generate MACs and only remediate-member's verify them
 * (named by exact ARN; explicit denies so neither IAM policies nor grants can add anyone), so an execute
 * request reaching remediate-member by any other path is refused. HMAC keys cannot rotate automatically
 * (KMS EnableKeyRotation); the key material never leaves KMS.
 */
import { KmsAlias } from '../../framework/aws';
import { KmsKey } from '../../framework/aws';
import { functionRoleArn, memberRequestKeyAlias } from '../../config/naming';
import { policyDocument, type Statement } from '../policy-document';
import type { SecurityContext } from './context';

export function memberRequestKey(ctx: SecurityContext): KmsKey {
  const { inv, account } = ctx;
  const signerArn = functionRoleArn(inv, 'remediate');
  const verifierArn = functionRoleArn(inv, 'remediateMember');
  const requestKey = new KmsKey(ctx.scope, 'member-request-key', {
    provider: ctx.provider,
    description: `Signs ${ctx.prefix} remediate's execute requests to remediate-member`,
    customerMasterKeySpec: 'HMAC_256',
    keyUsage: 'GENERATE_VERIFY_MAC',
    deletionWindowInDays: 30,
    policy: policyDocument([
      {
        Sid: 'KeyAdministrationByAccount',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        // The KMS default key administrators' actions: administer, never generate or verify a MAC.
        Action: [
          'kms:CancelKeyDeletion',
          'kms:Create*',
          'kms:Delete*',
          'kms:Describe*',
          'kms:Disable*',
          'kms:Enable*',
          'kms:Get*',
          'kms:List*',
          'kms:Put*',
          'kms:Revoke*',
          'kms:ScheduleKeyDeletion',
          'kms:TagResource',
          'kms:UntagResource',
          'kms:Update*',
        ],
        Resource: '*',
      },
      ...(
        [
          ['SignByRemediateOnly', 'kms:GenerateMac', signerArn],
          ['VerifyByRemediateMemberOnly', 'kms:VerifyMac', verifierArn],
        ] as const
      ).flatMap(([sid, action, roleArn]): Statement[] => [
        {
          Sid: sid,
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: action,
          Resource: '*',
          Condition: { ArnEquals: { 'aws:PrincipalArn': roleArn } },
        },
        {
          Sid: `${sid}Deny`,
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: action,
          Resource: '*',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': roleArn } },
        },
      ]),
    ]),
  });
  new KmsAlias(ctx.scope, 'member-request-key-alias', {
    provider: ctx.provider,
    name: memberRequestKeyAlias(inv),
    targetKeyId: requestKey.keyId,
  });
  return requestKey;
}

/** Use of the request key: `kms:GenerateMac` for remediate, `kms:VerifyMac` for remediate-member. */
export const useRequestKey = (key: KmsKey, Sid: string, Action: string): Statement => ({
  Sid,
  Effect: 'Allow',
  Action,
  Resource: key.arn,
});
