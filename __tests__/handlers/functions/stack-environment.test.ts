// The security stack still writes each function's environment by hand (the lead switches it to the specs'
// environmentOf at merge): until then, this keeps the names it writes to the ones each spec reads.
import { Testing } from 'cdktf';
import { APPROVAL_TIMEOUTS_ENV } from '../../../handlers/functions/approval-timeouts/spec';
import { APPROVE_ENV } from '../../../handlers/functions/approve/spec';
import {
  environmentOf as remediateEnvironment,
  REMEDIATE_ENV,
  readRemediateEnvironment,
} from '../../../handlers/functions/remediate/spec';
import {
  environmentOf as memberEnvironment,
  REMEDIATE_MEMBER_ENV,
  readRemediateMemberEnvironment,
} from '../../../handlers/functions/remediate-member/spec';
import {
  environmentOf as triageEnvironment,
  readTriageEnvironment,
  TRIAGE_ENV,
} from '../../../handlers/functions/triage/spec';
import { CATALOG } from '../../../rules/catalog';
import { SecurityStack } from '../../../stacks/security-stack';
import { TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../../fixtures/inventory';
import { resourcesOfType, synthJson } from '../../helpers/synth';

const tf = synthJson(
  new SecurityStack(Testing.app(), 'security', {
    inventory: TEST_INVENTORY,
    catalog: CATALOG,
    alerting: TEST_ALERTING,
    remediation: TEST_REMEDIATION,
  }),
);

/** The synthesized environment of a function, by name. */
function environmentOfFunction(name: string): Record<string, string> {
  const fn = resourcesOfType(tf, 'aws_lambda_function').find((f) => f.function_name === name);
  expect(fn).toBeDefined();
  return (fn!.environment?.variables ?? {}) as Record<string, string>;
}

/** A KMS key ARN in place of the Terraform reference the stack writes (the reader checks the ARN's form). */
const KEY_ARN = 'arn:aws:kms:eu-west-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const resolveTokens = (env: Record<string, string>) =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.startsWith('${') ? KEY_ARN : v]));

describe.each([
  { fn: 'vigil-triage', names: TRIAGE_ENV },
  { fn: 'vigil-approve', names: APPROVE_ENV },
  { fn: 'vigil-approval-timeouts', names: APPROVAL_TIMEOUTS_ENV },
  { fn: 'vigil-remediate-member', names: REMEDIATE_MEMBER_ENV },
  { fn: 'vigil-remediate', names: REMEDIATE_ENV },
] as const)('$fn', ({ fn, names }) => {
  it('gets only variables its spec reads', () => {
    const known = new Set<string>(Object.values(names));
    expect(Object.keys(environmentOfFunction(fn)).filter((n) => !known.has(n))).toEqual([]);
  });
});

it.each([
  { fn: 'vigil-triage', read: readTriageEnvironment, write: triageEnvironment },
  { fn: 'vigil-remediate-member', read: readRemediateMemberEnvironment, write: memberEnvironment },
  { fn: 'vigil-remediate', read: readRemediateEnvironment, write: remediateEnvironment },
] as const)('$fn: the spec reads the synthesized environment and writes it back unchanged', ({ fn, read, write }) => {
  const env = resolveTokens(environmentOfFunction(fn));
  expect((write as (x: unknown) => Record<string, string>)(read(env))).toEqual(env);
});
