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
import { runSimulation } from '@cloud-copilot/iam-simulate';

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

const asPolicy = (p: PolicyInput): Record<string, unknown> => (typeof p === 'string' ? JSON.parse(p) : p);

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
  const response = await runSimulation(
    {
      identityPolicies: (input.identityPolicies ?? []).map((p, i) => ({ name: `identity-${i}`, policy: asPolicy(p) })),
      serviceControlPolicies: isService
        ? []
        : [
            {
              orgIdentifier: 'r-root',
              policies: [
                { name: 'FullAWSAccess', policy: FULL_AWS_ACCESS },
                ...scps.map((p, i) => ({ name: `scp-${i}`, policy: asPolicy(p) })),
              ],
            },
          ],
      resourceControlPolicies: [],
      ...(input.resourcePolicy ? { resourcePolicy: asPolicy(input.resourcePolicy) } : {}),
      ...(input.permissionsBoundary
        ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: asPolicy(input.permissionsBoundary) }] }
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
