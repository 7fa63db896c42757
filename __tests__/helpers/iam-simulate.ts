/**
 * Evaluates IAM policies the way AWS does (identity, resource, SCP, permissions boundary) with
 * `@cloud-copilot/iam-simulate`, so security properties are asserted by evaluation rather than by
 * reading policy text ("simulate, don't grep").
 *
 * The simulator does not derive request context from the principal; {@link simulate} fills in the
 * global keys AWS would set for a principal of the organization (`aws:PrincipalArn` as the role ARN,
 * `aws:PrincipalAccount`, `aws:PrincipalOrgID`, `aws:PrincipalIsAWSService`). Pass `context` to
 * override or add keys (e.g. `aws:SourceAccount`, `events:TargetArn`, `iam:PolicyARN`).
 */
import { dirname, join } from 'node:path';
import {
  createValidatedPolicy,
  type ValidatedPolicy,
  type ValidationError,
  validateIdentityPolicy,
  validateResourcePolicy,
  validateServiceControlPolicy,
} from '@cloud-copilot/iam-policy';
import { runSimulation } from '@cloud-copilot/iam-simulate';

/**
 * The simulator compares condition operators with `localeCompare(x, undefined, { sensitivity: 'accent' })`, which
 * builds an ICU collator on every call: ~15 % of a simulation-heavy test file's CPU. The same comparison through one
 * collator built once gives the same answers (that is what `localeCompare` does per call) without the cost. Its
 * callers read the function off the module's exports on every call, so replacing the export takes effect everywhere;
 * __tests__/security/simulator.test.ts checks that it did and that the answers are unchanged.
 */
const collator = new Intl.Collator(undefined, { sensitivity: 'accent' });
export const fastCaseInsensitiveEquals = (first: string, second: string): boolean =>
  collator.compare(first, second) === 0;
export const fastCaseInsensitiveEndsWith = (value: string, suffix: string): boolean =>
  collator.compare(value.slice(suffix.length * -1), suffix) === 0;
/** `@cloud-copilot/iam-policy`'s utils module, the one the simulator's condition operations use. */
export const iamPolicyUtils = require(join(dirname(require.resolve('@cloud-copilot/iam-policy')), 'utils.js')) as {
  caseInsensitiveEquals: (first: string, second: string) => boolean;
  caseInsensitiveEndsWith: (value: string, suffix: string) => boolean;
};
iamPolicyUtils.caseInsensitiveEquals = fastCaseInsensitiveEquals;
iamPolicyUtils.caseInsensitiveEndsWith = fastCaseInsensitiveEndsWith;

/**
 * Which resource types an action's resource can be is a pure function of (service, action, resource ARN) and the
 * simulator's bundled IAM data, yet the simulator works it out again on every request by matching the ARN against
 * every resource-type pattern of the action (~15 % of a simulation-heavy file's CPU). Remembered per argument triple
 * for the life of the test file; each caller gets its own copy of the list, as before.
 */
type ResourceTypesForAction = (service: string, action: string, resource: string) => Promise<unknown[]>;
export const simulatorResourceTypes = require(
  join(dirname(require.resolve('@cloud-copilot/iam-simulate')), 'simulation_engine', 'resourceTypes.js'),
) as { getResourceTypesForAction: ResourceTypesForAction };
export const uncachedResourceTypes = simulatorResourceTypes.getResourceTypesForAction;
const resourceTypesMemo = new Map<string, Promise<unknown[]>>();
export const cachedResourceTypesForAction: ResourceTypesForAction = (service, action, resource) => {
  const key = `${service}\u0000${action}\u0000${resource}`;
  let found = resourceTypesMemo.get(key);
  if (found === undefined) {
    found = uncachedResourceTypes(service, action, resource);
    resourceTypesMemo.set(key, found);
  }
  return found.then((types) => [...types]);
};
simulatorResourceTypes.getResourceTypesForAction = cachedResourceTypesForAction;

/**
 * The simulator turns every policy string it compares (resource patterns, condition values) into a regular
 * expression on every request: the most expensive step of a simulation-heavy file. A string without policy variables
 * (`${…}`) converts the same way whatever the request, so its conversion is remembered per (string, options) for the
 * life of the test file; a string with variables is converted per request, as before. Callers read the function off
 * the module's exports on every call, so replacing the export takes effect everywhere; simulator.test.ts checks that
 * it did and that conversions are unchanged.
 */
interface IamStringOptions {
  readonly replaceWildcards?: boolean;
  readonly convertToRegex?: boolean;
}
type ConvertIamString = (value: string, request: unknown, options?: IamStringOptions) => unknown;
export const simulatorUtil = require(join(dirname(require.resolve('@cloud-copilot/iam-simulate')), 'util.js')) as {
  convertIamString: ConvertIamString;
};
export const uncachedConvertIamString = simulatorUtil.convertIamString;
const conversions = new Map<string, unknown>();
export const cachedConvertIamString: ConvertIamString = (value, request, options) => {
  if (value.includes('${')) return uncachedConvertIamString(value, request, options);
  const key = `${options?.replaceWildcards ?? ''}|${options?.convertToRegex ?? ''}|${value}`;
  let found = conversions.get(key);
  if (found === undefined) {
    found = uncachedConvertIamString(value, request, options);
    conversions.set(key, found);
  }
  return found;
};
simulatorUtil.convertIamString = cachedConvertIamString;

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** A policy document as synthesized (object or JSON string). */
export type PolicyInput = string | Record<string, unknown>;

export interface SimulationInput {
  /** Role ARN (`arn:aws:iam::<id>:role/<name>`), user ARN, service principal (`events.amazonaws.com`) or account root. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** Account owning the resource. @default - the account in the resource ARN, else the principal's account */
  readonly resourceAccount?: string;
  /** @default [] */
  readonly identityPolicies?: readonly PolicyInput[];
  /** @default - none */
  readonly resourcePolicy?: PolicyInput;
  /** SCPs in force for the principal's account (FullAWSAccess is added beside them, as AWS attaches it by default). @default [] */
  readonly serviceControlPolicies?: readonly PolicyInput[];
  /** @default - none */
  readonly permissionsBoundary?: PolicyInput;
  /** Organization of the principal. @default TEST_ORG_ID */
  readonly principalOrgId?: string | null;
  /** Extra or overriding request context keys. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

export const TEST_ORG_ID = 'o-exampleorg1';

/** `AdministratorAccess`: what an ordinary admin of a member account holds. */
export const ADMIN_POLICY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

const FULL_AWS_ACCESS = ADMIN_POLICY;

type Validate = (policy: unknown) => ValidationError[];
/**
 * Policies parsed and validated once per test file: the same synthesized documents are simulated hundreds of times,
 * and the simulator reuses a {@link ValidatedPolicy}'s verdict instead of validating it again. Keyed by the exact
 * JSON text and by the validator (an identity policy and an SCP are validated by different rules), so a changed
 * document is a new entry.
 */
const validatedPolicies = new Map<Validate, Map<string, ValidatedPolicy>>();
function validated(p: PolicyInput, validate: Validate): ValidatedPolicy {
  const text = typeof p === 'string' ? p : JSON.stringify(p);
  let byText = validatedPolicies.get(validate);
  if (byText === undefined) {
    byText = new Map();
    validatedPolicies.set(validate, byText);
  }
  let found = byText.get(text);
  if (found === undefined) {
    found = createValidatedPolicy(JSON.parse(text), validate);
    byText.set(text, found);
  }
  return found;
}
const FULL_AWS_ACCESS_SCP = validated(FULL_AWS_ACCESS, validateServiceControlPolicy);

/**
 * The simulator evaluates every statement of every policy in full (resources, conditions) whatever the action, to
 * explain its answer; only the overall decision is used here. A statement none of whose `Action` entries can match the
 * requested action cannot allow or deny it, so {@link relevantTo} leaves it out. An entry cannot match when it names
 * another service (a service prefix without wildcards, compared without case, as IAM does), or names the service with
 * an action pattern of letters, digits, `*` and `?` that does not match the action's name (compared without case, `*`
 * any run of characters, `?` one character: the simulator's own conversion). Every other statement stays
 * (`NotAction`, `*`, a wildcard in the service, a malformed entry). A policy left with no statement contributes
 * nothing to an identity or SCP decision and is dropped; a permissions boundary or resource policy is then passed
 * whole, as its absence would mean something else. Remembered per (document, validator, action). simulator.test.ts
 * checks that decisions are the same with and without it.
 */
export function relevantStatements(policy: Record<string, unknown>, action: string): Record<string, unknown> {
  const statements = policy['Statement'];
  if (!Array.isArray(statements)) return policy;
  const colon = action.indexOf(':');
  const wantedService = action.slice(0, colon).toLowerCase();
  const wantedName = action.slice(colon + 1);
  const kept = statements.filter((st: unknown) => {
    if (typeof st !== 'object' || st === null || !('Action' in st)) return true;
    const actions = (st as { Action: unknown }).Action;
    const entries = typeof actions === 'string' ? [actions] : Array.isArray(actions) ? actions : undefined;
    if (entries === undefined || entries.length === 0) return true;
    return entries.some((a: unknown) => {
      if (typeof a !== 'string') return true;
      const sep = a.indexOf(':');
      if (sep < 0) return true;
      const prefix = a.slice(0, sep);
      if (/[*?]/.test(prefix)) return true;
      if (prefix.toLowerCase() !== wantedService) return false;
      const pattern = a.slice(sep + 1);
      if (!/^[A-Za-z0-9*?]+$/.test(pattern)) return true;
      return new RegExp(`^${pattern.replace(/\?/g, '.').replace(/\*/g, '.*?')}$`, 'i').test(wantedName);
    });
  });
  return kept.length === statements.length ? policy : { ...policy, Statement: kept };
}

/** Whether {@link simulate} leaves out statements that cannot match the action (on unless VIGIL_SIMULATE_ALL_STATEMENTS=1). */
export const pruning = { enabled: process.env['VIGIL_SIMULATE_ALL_STATEMENTS'] !== '1' };

/**
 * By document text, then by (validator, action). The text of a synthesized policy is the same string on every call,
 * so looking it up costs no rehash of the document.
 */
const relevantPolicies = new Map<string, Map<string, ValidatedPolicy | null>>();
/** The policy reduced to the statements that can match `action`; null when none can. */
function relevantTo(p: PolicyInput, validate: Validate, action: string | undefined): ValidatedPolicy | null {
  if (!pruning.enabled || action === undefined) return validated(p, validate);
  const text = typeof p === 'string' ? p : JSON.stringify(p);
  let byAction = relevantPolicies.get(text);
  if (byAction === undefined) {
    byAction = new Map();
    relevantPolicies.set(text, byAction);
  }
  const key = `${validatedIndex(validate)}\u0000${action}`;
  let found = byAction.get(key);
  if (found === undefined) {
    const all = validated(p, validate);
    // An invalid document is passed whole, so the simulator rejects it as before, whichever statement is wrong.
    if (all.errors.length > 0 || typeof all.policyDocument !== 'object' || all.policyDocument === null) found = all;
    else {
      const kept = relevantStatements(all.policyDocument as Record<string, unknown>, action);
      const statements = kept['Statement'];
      found = Array.isArray(statements) && statements.length === 0 ? null : validated(kept, validate);
    }
    byAction.set(key, found);
  }
  return found;
}
const validators: Validate[] = [];
function validatedIndex(validate: Validate): number {
  let i = validators.indexOf(validate);
  if (i < 0) i = validators.push(validate) - 1;
  return i;
}

/** The account id in an ARN (`arn:partition:service:region:account:...`), if it has one. */
export function accountOfArn(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** `arn:aws:sts::1:assumed-role/R/s` → `arn:aws:iam::1:role/R`, as AWS sets `aws:PrincipalArn`. */
export function principalArnOf(principal: string): string {
  const m = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(principal);
  return m ? `arn:aws:iam::${m[1]}:role/${m[2]}` : principal;
}

/** Runs one request through the simulator and returns its decision; throws on any validation error. */
export async function simulate(input: SimulationInput): Promise<Decision> {
  const isService = !input.principal.startsWith('arn:');
  const principalAccount = isService ? undefined : accountOfArn(input.principal);
  const resourceAccount = input.resourceAccount ?? accountOfArn(input.resource) ?? principalAccount;
  if (!resourceAccount)
    throw new Error(`simulate: cannot tell the account of '${input.resource}'; pass resourceAccount`);
  const orgId = input.principalOrgId === undefined ? TEST_ORG_ID : input.principalOrgId;
  const context: Record<string, string | string[]> = isService
    ? { 'aws:PrincipalIsAWSService': 'true', 'aws:PrincipalServiceName': input.principal }
    : {
        'aws:PrincipalArn': principalArnOf(input.principal),
        'aws:PrincipalIsAWSService': 'false',
        ...(principalAccount ? { 'aws:PrincipalAccount': principalAccount } : {}),
        ...(orgId ? { 'aws:PrincipalOrgID': orgId } : {}),
      };
  for (const [k, v] of Object.entries(input.context ?? {})) context[k] = typeof v === 'string' ? v : [...v];

  const scps = input.serviceControlPolicies ?? [];
  // An action without a service prefix is passed to the simulator whole, with every statement.
  const action = input.action.indexOf(':') > 0 ? input.action : undefined;
  const named = (prefix: string, policies: readonly PolicyInput[], validate: Validate) =>
    policies.flatMap((p, i) => {
      const policy = relevantTo(p, validate, action);
      return policy === null ? [] : [{ name: `${prefix}-${i}`, policy }];
    });
  /** A boundary or resource policy with no statement left is passed whole. */
  const whole = (p: PolicyInput, validate: Validate) => relevantTo(p, validate, action) ?? validated(p, validate);
  const response = await runSimulation(
    {
      identityPolicies: named('identity', input.identityPolicies ?? [], validateIdentityPolicy),
      serviceControlPolicies: isService
        ? []
        : [
            {
              orgIdentifier: 'r-root',
              policies: [
                { name: 'FullAWSAccess', policy: FULL_AWS_ACCESS_SCP },
                ...named('scp', scps, validateServiceControlPolicy),
              ],
            },
          ],
      resourceControlPolicies: [],
      ...(input.resourcePolicy ? { resourcePolicy: whole(input.resourcePolicy, validateResourcePolicy) } : {}),
      ...(input.permissionsBoundary
        ? {
            permissionBoundaryPolicies: [
              { name: 'boundary', policy: whole(input.permissionsBoundary, validateIdentityPolicy) },
            ],
          }
        : {}),
      request: {
        principal: input.principal,
        action: input.action,
        resource: { accountId: resourceAccount, resource: input.resource },
        contextVariables: context,
      },
    } as Parameters<typeof runSimulation>[0],
    {},
  );
  if (response.resultType === 'error') {
    throw new Error(`simulate: the simulator rejected the request: ${JSON.stringify(response.errors)}`);
  }
  return response.overallResult as Decision;
}
