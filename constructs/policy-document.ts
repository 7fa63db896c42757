/**
 * IAM policy documents as plain, deterministic JSON. Rendering them ourselves (instead of an
 * `aws_iam_policy_document` data source) keeps synth fast at 1,000 accounts and lets tests read
 * the exact statements from the synthesized JSON.
 */

export type Principal =
  | '*'
  | {
      readonly AWS?: string | readonly string[];
      readonly Service?: string | readonly string[];
      /** An OIDC or SAML provider ARN (web identity federation). */
      readonly Federated?: string;
    };

export interface Statement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Principal;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | boolean | readonly string[]>>>>;
}

/** Renders a policy document; Sids must be unique (IAM rejects duplicates in resource policies). */
export function policyDocument(statements: readonly Statement[]): string {
  const sids = statements.map((s) => s.Sid);
  const dup = sids.find((s, i) => sids.indexOf(s) !== i);
  if (dup) throw new Error(`policy statement Sid '${dup}' appears twice`);
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}
