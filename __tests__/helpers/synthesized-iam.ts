/**
 * IAM roles and Lambda resource policies read back from synthesized Terraform JSON, resolved to the
 * policy documents AWS would evaluate: a role with its trust policy, its inline policies and its
 * permissions boundary (`aws_iam_policy` referenced by `permissions_boundary`); a function's resource
 * policy rebuilt from its `aws_lambda_permission` resources the way Lambda's AddPermission renders them.
 */
import { type Json, resourcesOfType } from './synth';

/** One synthesized role, resolved. */
export interface SynthesizedRole {
  readonly name: string;
  /** `arn:aws:iam::<account>:role/<name>` (vigil creates roles at the root path). */
  readonly arn: string;
  readonly trust: Json;
  readonly policies: readonly Json[];
  readonly boundary?: Json;
}

const REF = /^\$\{([a-z0-9_]+)\.([^.]+)\.(id|arn|name|function_name)\}$/;

/**
 * A policy document with every Terraform reference (`${aws_kms_key.k.arn}`) replaced by an ARN that
 * names no real resource. The value is unknown offline, and the simulator would read `${...}` as a
 * policy variable that matches any resource: a statement on the security key would allow every key.
 */
export function withUnresolvedReferences(policyJson: string): Json {
  return JSON.parse(policyJson.replace(/\$\{([^}]+)\}/g, (_m, ref: string) => `arn:aws:unresolved:::${ref}`));
}

/** The resource a `${type.key.attr}` reference names, or undefined for a literal. */
function referenced(tf: Json, value: unknown): { type: string; key: string; resource: Json } | undefined {
  const m = typeof value === 'string' ? REF.exec(value) : null;
  if (!m) return undefined;
  const resource = tf['resource']?.[m[1]!]?.[m[2]!];
  if (!resource) throw new Error(`reference ${String(value)} names no synthesized resource`);
  return { type: m[1]!, key: m[2]!, resource };
}

/** Every `aws_iam_role` of a stack with its trust, inline policies and boundary. */
export function synthesizedRoles(tf: Json, accountId: string): SynthesizedRole[] {
  const roles = tf['resource']?.['aws_iam_role'] ?? {};
  return Object.entries(roles as Record<string, Json>).map(([key, role]) => {
    const policies = resourcesOfType(tf, 'aws_iam_role_policy')
      .filter((p) => referenced(tf, p['role'])?.key === key)
      .map((p) => withUnresolvedReferences(p['policy']));
    const boundary = referenced(tf, role['permissions_boundary']);
    if (role['permissions_boundary'] !== undefined && boundary?.type !== 'aws_iam_policy') {
      throw new Error(`role ${role['name']}: unexpected permissions_boundary ${role['permissions_boundary']}`);
    }
    return {
      name: role['name'],
      arn: `arn:aws:iam::${accountId}:role/${role['name']}`,
      trust: JSON.parse(role['assume_role_policy']),
      policies,
      ...(boundary ? { boundary: JSON.parse(boundary.resource['policy']) as Json } : {}),
    };
  });
}

/** The synthesized role of that name; throws when there is none. */
export function roleNamed(roles: readonly SynthesizedRole[], name: string): SynthesizedRole {
  const role = roles.find((r) => r.name === name);
  if (!role) throw new Error(`no role '${name}' among ${roles.map((r) => r.name).join(', ')}`);
  return role;
}

/**
 * The resource policy of the function named `functionName`, as Lambda builds it from AddPermission:
 * `function_url_auth_type` becomes `lambda:FunctionUrlAuthType`, `invoked_via_function_url` becomes
 * `lambda:InvokedViaFunctionUrl`, `source_arn` becomes `AWS:SourceArn`.
 */
export function functionResourcePolicy(tf: Json, functionName: string, functionArn: string): Json {
  const statements = resourcesOfType(tf, 'aws_lambda_permission')
    .filter((p) => {
      const ref = referenced(tf, p['function_name']);
      return (ref ? ref.resource['function_name'] : p['function_name']) === functionName;
    })
    .map((p) => {
      const conditions: Record<string, Record<string, string>> = {};
      if (p['function_url_auth_type']) {
        conditions['StringEquals'] = { 'lambda:FunctionUrlAuthType': p['function_url_auth_type'] };
      }
      if (p['invoked_via_function_url'] === true) conditions['Bool'] = { 'lambda:InvokedViaFunctionUrl': 'true' };
      if (p['source_arn']) conditions['ArnLike'] = { 'AWS:SourceArn': p['source_arn'] };
      const principal = p['principal'] as string;
      return {
        Sid: p['statement_id'],
        Effect: 'Allow',
        Principal:
          principal === '*' ? '*' : principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
        Action: p['action'],
        Resource: functionArn,
        ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
      };
    });
  if (statements.length === 0) throw new Error(`no aws_lambda_permission for function ${functionName}`);
  return { Version: '2012-10-17', Statement: statements };
}
