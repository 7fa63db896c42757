/**
 * The documented compatibility edits that let a synthesized stack be validated and planned offline
 * with the provider version this machine has mirrored. Every edit is listed (and printed by the
 * check), so a reader knows exactly what Terraform did and did not see. Edits never touch the
 * synthesized output: they apply to a copy.
 */
import { compareVersions, majorOf } from './toolchain';

/** A synthesized `cdk.tf.json` (the parts the edits touch; the rest passes through). */
export type StackJson = Record<string, any>;

/** One edit applied to a copy of a stack before `terraform init`. */
export interface CompatEdit {
  readonly id: 'pin' | 'region' | 'newer-arguments' | 'backend' | 'assume-role' | 'allowed-account-ids' | 'credentials';
  /** What the edit does and why, for the check's output and the README. */
  readonly description: string;
}

/** The provider version a check runs with, and what it means for the edits. */
export interface ProviderChoice {
  /** The version the stacks pin (`terraform.required_providers.aws.version`). */
  readonly pinned: string;
  /** The mirrored version the check uses. */
  readonly used: string;
}

/** AWS provider 6.0 introduced the per-resource `region` argument (Enhanced Region Support). */
export const REGION_ARGUMENT_SINCE_MAJOR = 6;

/**
 * Resource types of global services: they have no per-resource `region` argument in provider 6.x,
 * because their API has one endpoint (IAM, Organizations, CloudFront, Route 53 zones, WAF classic,
 * Shield, Global Accelerator). Everything else is regional.
 * @see https://hashicorp.github.io/terraform-provider-aws/enhanced-region-support
 */
export const GLOBAL_RESOURCE_TYPE_PREFIXES: readonly string[] = [
  'aws_iam_',
  'aws_organizations_',
  'aws_cloudfront_',
  'aws_route53_record',
  'aws_route53_zone',
  'aws_route53_health_check',
  'aws_waf_',
  'aws_shield_',
  'aws_globalaccelerator_',
];

/** Whether resources of a type live in one region (and so take a `region` argument in 6.x). */
export const isRegionalType = (type: string): boolean =>
  !GLOBAL_RESOURCE_TYPE_PREFIXES.some((prefix) => type.startsWith(prefix));

/**
 * Resource arguments the stacks use that are newer than some provider versions: validating with an
 * older mirrored provider means dropping them (the synthesized JSON keeps them and the test suite
 * asserts them there).
 */
export const NEWER_ARGUMENTS: readonly { resourceType: string; argument: string; since: string; why: string }[] = [
  {
    resourceType: 'aws_lambda_permission',
    argument: 'invoked_via_function_url',
    since: '6.29.0',
    why: "the approval URL's lambda:InvokeFunction permission, asserted by __tests__/security/central-resource-policies.test.ts",
  },
];

/** The newer arguments a provider version lacks. */
const argumentsMissingIn = (version: string) => NEWER_ARGUMENTS.filter((a) => compareVersions(version, a.since) < 0);

/** The AWS provider version a stack pins; fails with the fix when it pins none. */
export function pinnedVersion(stack: StackJson): string {
  const version = stack['terraform']?.['required_providers']?.['aws']?.['version'];
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(
      `the stack pins no exact AWS provider version (terraform.required_providers.aws.version is ${JSON.stringify(version)}); ` +
        'the check compares the pin with the mirrored provider, so synth must pin one',
    );
  }
  return version;
}

/**
 * Which mirrored version to run: the pinned one when mirrored; else the newest mirrored version of
 * the pinned major; else the newest mirrored version. Fails when the mirror is empty.
 */
export function chooseProvider(pinned: string, mirrored: readonly string[]): ProviderChoice {
  if (mirrored.length === 0) throw new Error('the provider mirror holds no AWS provider version');
  const sorted = [...mirrored].sort((a, b) => compareVersions(b, a));
  const used = sorted.find((v) => v === pinned) ?? sorted.find((v) => majorOf(v) === majorOf(pinned)) ?? sorted[0]!;
  return { pinned, used };
}

/**
 * The edits for a provider choice, in the order they apply. Always: no backend (state stays in the
 * temporary copy; S3 or Terraform Cloud would need the network), no `assume_role` (an STS call),
 * no `allowed_account_ids` (with fake credentials the account id cannot be known, and 5.x then
 * rejects every id) and fake static credentials with the skip flags (no credential or account
 * lookup, no metadata endpoint; `max_retries = 1` so a plan-time AWS call fails at once instead of
 * retrying). Only when the mirror differs: the version pin, below 6.x the per-resource `region`, and
 * arguments newer than the mirrored provider (NEWER_ARGUMENTS).
 */
export function compatEdits(choice: ProviderChoice): CompatEdit[] {
  const edits: CompatEdit[] = [];
  if (choice.used !== choice.pinned) {
    edits.push({
      id: 'pin',
      description: `relax the AWS provider pin ${choice.pinned} to the mirrored ${choice.used}`,
    });
  }
  if (majorOf(choice.used) < REGION_ARGUMENT_SINCE_MAJOR) {
    edits.push({
      id: 'region',
      description:
        `drop the per-resource \`region\` argument (provider ${choice.used} has none; every regional resource ` +
        "is asserted to carry one first); the plan then places every placement in the provider's region",
    });
  }
  const missing = argumentsMissingIn(choice.used);
  if (missing.length > 0) {
    edits.push({
      id: 'newer-arguments',
      description: `drop arguments provider ${choice.used} predates: ${missing
        .map((a) => `\`${a.argument}\` of ${a.resourceType} (since ${a.since}; ${a.why})`)
        .join(', ')}`,
    });
  }
  edits.push(
    { id: 'backend', description: 'drop the backend (state stays in the temporary copy)' },
    { id: 'assume-role', description: 'drop the provider `assume_role` (it would call STS)' },
    {
      id: 'allowed-account-ids',
      description:
        'drop the provider `allowed_account_ids` (the account id is unknown without credentials; the test suite checks it on the synthesized JSON)',
    },
    {
      id: 'credentials',
      description:
        'give the provider fake static credentials with skip_credentials_validation, skip_requesting_account_id, ' +
        'skip_metadata_api_check and max_retries = 1 (no AWS call at plan time)',
    },
  );
  return edits;
}

/** Blocks that may carry the per-resource `region` argument. */
const PLACED_BLOCKS = ['resource', 'data', 'ephemeral'] as const;

interface Block {
  readonly kind: (typeof PLACED_BLOCKS)[number];
  readonly address: string;
  readonly type: string;
  readonly body: Record<string, any>;
}

/** Every resource, data and ephemeral block of a stack with its address and body. */
function blocks(stack: StackJson): Block[] {
  const out: Block[] = [];
  for (const kind of PLACED_BLOCKS) {
    for (const [type, byName] of Object.entries<Record<string, any>>(stack[kind] ?? {})) {
      for (const [name, body] of Object.entries<Record<string, any>>(byName)) {
        out.push({ kind, address: `${kind === 'resource' ? '' : `${kind}.`}${type}.${name}`, type, body });
      }
    }
  }
  return out;
}

/**
 * Regional resources that rely on the provider's region in a stack that places resources per
 * region: in such a stack (some resource sets `region`), a regional resource without `region` would
 * silently land in the provider's default region. Single-region stacks (no resource sets `region`)
 * place everything through their provider and return nothing. Run this before the `region` edit.
 */
export function regionalResourcesWithoutRegion(stack: StackJson): string[] {
  const all = blocks(stack).filter((b) => b.kind === 'resource');
  if (!all.some((b) => 'region' in b.body)) return [];
  return all.filter((b) => isRegionalType(b.type) && !('region' in b.body)).map((b) => b.address);
}

/** Global-service resources that set `region` (6.x rejects the argument there). */
export function globalResourcesWithRegion(stack: StackJson): string[] {
  return blocks(stack)
    .filter((b) => !isRegionalType(b.type) && 'region' in b.body)
    .map((b) => b.address);
}

/** Fake, syntactically valid credentials: they never leave this machine because nothing calls AWS. */
const FAKE_CREDENTIALS = {
  access_key: 'AKIAIOSFODNN7EXAMPLE',
  secret_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: true,
  max_retries: 1,
};

/** A copy of `stack` with `edits` applied (the input is not changed). */
export function applyEdits(stack: StackJson, edits: readonly CompatEdit[], choice: ProviderChoice): StackJson {
  const out: StackJson = structuredClone(stack);
  const ids = new Set(edits.map((e) => e.id));
  if (ids.has('pin')) out['terraform']['required_providers']['aws']['version'] = choice.used;
  if (ids.has('backend')) {
    delete out['terraform']?.['backend'];
    delete out['terraform']?.['cloud'];
  }
  if (ids.has('region')) for (const b of blocks(out)) delete b.body['region'];
  if (ids.has('newer-arguments')) {
    for (const a of argumentsMissingIn(choice.used)) {
      for (const b of blocks(out)) if (b.type === a.resourceType) delete b.body[a.argument];
    }
  }
  for (const provider of ([] as Array<Record<string, any>>).concat(out['provider']?.['aws'] ?? [])) {
    if (ids.has('assume-role')) delete provider['assume_role'];
    if (ids.has('allowed-account-ids')) delete provider['allowed_account_ids'];
    if (ids.has('credentials')) Object.assign(provider, FAKE_CREDENTIALS);
  }
  return out;
}
