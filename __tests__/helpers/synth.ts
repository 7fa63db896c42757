import { Testing } from '../../framework/cdktf';
import type { TerraformStack } from '../../framework/cdktf';

export type Json = Record<string, any>;

/** Synthesizes a stack (with validations) and parses the Terraform JSON. */
export function synthJson(stack: TerraformStack): Json {
  return JSON.parse(Testing.synth(stack, true));
}

/** All resources of one Terraform type, e.g. `aws_cloudwatch_event_rule`. */
export function resourcesOfType(tf: Json, type: string): Json[] {
  return Object.values(tf['resource']?.[type] ?? {});
}

/** The only resource of a type; fails the test when there is not exactly one. */
export function onlyResource(tf: Json, type: string): Json {
  const all = resourcesOfType(tf, type);
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0]!;
}

/** Parses a JSON policy attribute (IAM, bucket, key, bus, queue policy or SCP). */
export function policyOf(resource: Json, attribute = 'policy'): { Statement: Json[] } {
  return JSON.parse(resource[attribute]);
}

/** One statement of a policy by Sid. */
export function statement(policy: { Statement: Json[] }, sid: string): Json {
  const found = policy.Statement.find((s) => s['Sid'] === sid);
  if (!found) throw new Error(`no statement '${sid}' in ${JSON.stringify(policy)}`);
  return found;
}
