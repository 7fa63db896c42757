import type { SecretRef } from '../../config/alerting';
import type { Statement } from '../policy-document';

/**
 * Least privilege for the secrets the alerting config references: exactly those secrets and
 * parameters, and KMS decryption only through Secrets Manager or SSM.
 */
export function secretReadStatements(refs: readonly SecretRef[], region: string, account: string): Statement[] {
  const secrets: string[] = [];
  const parameters: string[] = [];
  for (const ref of refs) {
    if (ref.startsWith('secretsmanager:')) {
      const id = ref.slice('secretsmanager:'.length).split('#')[0]!;
      // A secret ARN ends in a random 6-character suffix that a name does not carry.
      secrets.push(id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${region}:${account}:secret:${id}-??????`);
    } else {
      parameters.push(`arn:aws:ssm:${region}:${account}:parameter${ref.slice('ssm:'.length)}`);
    }
  }
  const statements: Statement[] = [];
  if (secrets.length > 0) {
    statements.push({
      Sid: 'ReadAlertSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: secrets,
    });
  }
  if (parameters.length > 0) {
    statements.push({ Sid: 'ReadAlertParameters', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: parameters });
  }
  if (statements.length > 0) {
    // Keys of the accounts that hold the secrets (this one, or the account of a secret given by ARN).
    const keyAccounts = [...new Set([account, ...secrets.map((arn) => arn.split(':')[4]!)])].sort();
    statements.push({
      Sid: 'DecryptSecretsViaService',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: keyAccounts.map((a) => `arn:aws:kms:${region}:${a}:key/*`),
      Condition: {
        StringEquals: { 'kms:ViaService': [`secretsmanager.${region}.amazonaws.com`, `ssm.${region}.amazonaws.com`] },
      },
    });
  }
  return statements;
}
