/**
 * `npm run doctor [-- --aws | --offline]`: is this checkout ready to synthesize, test and deploy vigil? Each
 * check prints ✓, ! (works, but worth fixing), ✗ (blocks something) or - (skipped), with the fix. Read-only:
 * it changes nothing.
 *
 * Checks: the Node.js version (≥ 20 to run, 22 recommended: Lambda runs nodejs22.x and AWS SDK releases
 * after January 2027 need it), installed dependencies, the three config files (every problem listed), a
 * Terraform or OpenTofu binary for `npm run deploy`, the provider mirror `npm test` plans against, whether
 * `cdktf.out` is older than the config (synth again before deploying), and AWS credentials in the
 * environment for deploy and `org:sync`.
 *
 * Then, when credentials are in the environment (or with `--aws`; never with `--offline`), the AWS
 * preflight, read-only calls to AWS Organizations (and STS GetCallerIdentity) with those credentials,
 * meant for the management account: the organization has all features, its id, root and management
 * account are the ones config/org.json names, the SCP policy type is enabled on the root, trusted access
 * is enabled for CloudTrail (organization trail) and CloudFormation StackSets (bootstrap's service-managed
 * StackSet), and who is CloudTrail's delegated administrator. Each missing item comes with the command that
 * fixes it; a denied call names the permission it needs. Without credentials it prints one line saying how
 * to run it.
 *
 * Exit code: 0 when nothing is ✗, 1 otherwise; 2 for an unknown argument.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeOrganizationCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { InventoryError, type OrgInventory, optInRegionCheck } from '../config/inventory';
import { loadConfig } from '../config/load';
import { runCli } from './run-cli';
import { DEFAULT_PLUGIN_DIR, mirroredVersions, onPath } from './terraform/toolchain';

export type Verdict = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  readonly name: string;
  readonly verdict: Verdict;
  readonly detail: string;
}

export interface DoctorIo {
  readonly stdout: (line: string) => void;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** e.g. `v20.20.2` */
  readonly nodeVersion: string;
  /** Clients of the AWS preflight. @default - SDK clients with the default credential chain */
  readonly aws?: () => PreflightClients;
}

/** The two SDK clients the AWS preflight calls (read-only operations only). */
export interface PreflightClients {
  readonly organizations: OrganizationsClient;
  readonly sts: STSClient;
}

const MARK: Readonly<Record<Verdict, string>> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };

const USAGE = 'usage: npm run doctor [-- --aws | --offline]';

/** The config files doctor and the preflight read (the same environment variables as synth). */
function configFiles(cwd: string, env: NodeJS.ProcessEnv) {
  return {
    inventory: join(cwd, env['VIGIL_INVENTORY'] ?? 'config/org.json'),
    alerting: join(cwd, env['VIGIL_ALERTING'] ?? 'config/alerting.json'),
    remediation: join(cwd, env['VIGIL_REMEDIATION'] ?? 'config/remediation.json'),
  };
}

/** Credentials visible in the environment (the SDK may find others, e.g. a default profile: `--aws`). */
function environmentCredentials(env: NodeJS.ProcessEnv): boolean {
  return Boolean(
    (env['AWS_ACCESS_KEY_ID'] && env['AWS_SECRET_ACCESS_KEY']) ||
      env['AWS_PROFILE'] ||
      env['AWS_WEB_IDENTITY_TOKEN_FILE'] ||
      env['AWS_CONTAINER_CREDENTIALS_FULL_URI'],
  );
}

/** Every check, in the order a new user meets them. */
export function runChecks(io: Omit<DoctorIo, 'stdout'>): Check[] {
  const { cwd, env } = io;
  const checks: Check[] = [];
  const add = (name: string, verdict: Verdict, detail: string) => checks.push({ name, verdict, detail });

  const major = Number(/^v?(\d+)/.exec(io.nodeVersion)?.[1] ?? 0);
  if (major < 20) add('Node.js', 'fail', `${io.nodeVersion}: vigil needs Node.js ≥ 20 (22 recommended)`);
  else if (major < 22) {
    add(
      'Node.js',
      'warn',
      `${io.nodeVersion}: works; Node.js 22 is recommended (Lambda runs nodejs22.x, and AWS SDK releases after January 2027 need it)`,
    );
  } else add('Node.js', 'ok', io.nodeVersion);

  add(
    'dependencies',
    existsSync(join(cwd, 'node_modules', 'cdktf')) ? 'ok' : 'fail',
    existsSync(join(cwd, 'node_modules', 'cdktf')) ? 'installed' : 'not installed: run `npm ci`',
  );

  const files = configFiles(cwd, env);
  try {
    const config = loadConfig(files, {});
    add(
      'config',
      'ok',
      `${config.inventory.accounts.length} accounts, ${config.inventory.organizationalUnits.length} OUs; alerting and remediation valid`,
    );
  } catch (error) {
    if (!(error instanceof InventoryError)) throw error;
    add('config', 'fail', `${error.message}\n    fix each problem above; \`npm run synth\` lists the same`);
  }

  const binary = onPath('terraform', env) ?? onPath('tofu', env);
  add(
    'terraform',
    binary ? 'ok' : 'warn',
    binary
      ? `${binary} (npm run deploy, npm run tf:check)`
      : 'no `terraform` or `tofu` on PATH: synth and most tests work without it; install Terraform ≥ 1.10 or OpenTofu to deploy and to run the Terraform tests',
  );

  const pluginDir = env['VIGIL_TF_PLUGIN_DIR'] ?? DEFAULT_PLUGIN_DIR;
  const mirrored = mirroredVersions(pluginDir);
  add(
    'provider mirror',
    mirrored.length > 0 ? 'ok' : 'warn',
    mirrored.length > 0
      ? `hashicorp/aws ${mirrored.join(', ')} in ${pluginDir} (offline plans in npm test)`
      : `none in ${pluginDir}: the offline Terraform plans of npm test need it; fill it with \`terraform providers mirror ${pluginDir}\` on a connected machine, or set VIGIL_TF_PLUGIN_DIR`,
  );

  const manifest = join(cwd, 'cdktf.out', 'manifest.json');
  if (!existsSync(manifest)) {
    add('synth output', 'warn', 'no cdktf.out yet: run `npm run synth` before deploying');
  } else {
    const newest = Math.max(...Object.values(files).map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
    const stale = statSync(manifest).mtimeMs < newest;
    add(
      'synth output',
      stale ? 'warn' : 'ok',
      stale
        ? 'cdktf.out is older than the config: run `npm run synth` before deploying (it also removes stale stacks)'
        : 'cdktf.out is newer than the config',
    );
  }

  const credentials = environmentCredentials(env);
  add(
    'AWS credentials',
    credentials ? 'ok' : 'warn',
    credentials
      ? 'found in the environment (deploy and org:sync use them; the AWS preflight below checks the organization with them)'
      : 'none in the environment: synth and tests need none; deploy needs the deploy role, org:sync the management account (README, Deploying)',
  );
  return checks;
}

export async function main(argv: readonly string[], partial: Partial<DoctorIo> = {}): Promise<number> {
  const io: DoctorIo = {
    stdout: (line) => process.stdout.write(`${line}\n`),
    cwd: process.cwd(),
    env: process.env,
    nodeVersion: process.version,
    ...partial,
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(
      `${USAGE}\n\nChecks this checkout (Node.js, dependencies, config, terraform/tofu, provider mirror, stale output,\n` +
        'credentials) and, with credentials or --aws, the organization (read-only); each problem with its fix.\n' +
        'Exit code: 0 nothing blocks, 1 something blocks, 2 usage error.',
    );
    return 0;
  }
  const unknown = argv.find((a) => a !== '--aws' && a !== '--offline');
  if (unknown !== undefined || (argv.includes('--aws') && argv.includes('--offline'))) {
    io.stdout(
      `${unknown === undefined ? 'choose one of --aws and --offline' : `unknown argument '${unknown}'`}\n${USAGE}`,
    );
    return 2;
  }
  const checks = runChecks(io);
  checks.push(...(await preflightChecks(io, argv)));
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) io.stdout(`${MARK[c.verdict]} ${c.name.padEnd(width)}  ${c.detail}`);
  const failed = checks.filter((c) => c.verdict === 'fail').length;
  const warned = checks.filter((c) => c.verdict === 'warn').length;
  io.stdout('');
  io.stdout(
    failed > 0
      ? `${failed} problem(s) block vigil here; fix the ✗ lines.`
      : `ready${warned > 0 ? ` (${warned} note(s) above)` : ''}: npm run synth, npm test, npm run deploy -- --plan`,
  );
  return failed > 0 ? 1 : 0;
}

/** The AWS preflight when it should run (credentials or `--aws`, never `--offline`), else one line saying why not. */
async function preflightChecks(io: DoctorIo, argv: readonly string[]): Promise<Check[]> {
  const skip = (detail: string): Check[] => [{ name: PREFLIGHT, verdict: 'skip', detail }];
  if (argv.includes('--offline')) return skip('skipped (--offline)');
  if (!argv.includes('--aws') && !environmentCredentials(io.env)) {
    return skip(
      'skipped: no AWS credentials in the environment; to check the organization (all features, SCPs, trusted access), ' +
        'run `npm run doctor -- --aws` with management-account credentials (e.g. AWS_PROFILE=<management profile>)',
    );
  }
  let inventory: OrgInventory;
  try {
    inventory = loadConfig(configFiles(io.cwd, io.env), {}).inventory;
  } catch (error) {
    if (!(error instanceof InventoryError)) throw error;
    return skip('skipped: it compares the organization with config/org.json, which has problems (see config above)');
  }
  return awsPreflight(inventory, (io.aws ?? defaultClients)());
}

const PREFLIGHT = 'AWS preflight';

function defaultClients(): PreflightClients {
  // Organizations is a global service served from us-east-1; STS answers GetCallerIdentity anywhere.
  return {
    organizations: new OrganizationsClient({ region: 'us-east-1', maxAttempts: 2 }),
    sts: new STSClient({ region: 'us-east-1', maxAttempts: 2 }),
  };
}

/** Service principals vigil needs trusted access for, and the command that enables each. */
export const TRUSTED_SERVICES: ReadonlyArray<{ principal: string; why: string; fix: string }> = [
  {
    principal: 'cloudtrail.amazonaws.com',
    why: 'the organization trail (org-trail stack)',
    fix: 'aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com',
  },
  {
    // CloudFormation's own call enables trusted access and creates the StackSets service-linked roles in
    // the management account, which enabling it through Organizations alone does not.
    principal: 'member.org.stacksets.cloudformation.amazonaws.com',
    why: "the bootstrap stack's service-managed StackSet (the deploy role in every account)",
    fix: 'aws cloudformation activate-organizations-access',
  },
];

/** Needed only with `optInRegionCheck` (default on): the coverage function reads every account's opt-in regions. */
export const ACCOUNT_MANAGEMENT_SERVICE = {
  principal: 'account.amazonaws.com',
  why: "the coverage function's opt-in region check (optInRegionCheck; Account Management ListRegions)",
  fix: 'aws organizations enable-aws-service-access --service-principal account.amazonaws.com (or set "optInRegionCheck": false in config/org.json)',
} as const;

/** The service principals this inventory needs trusted access for. */
export function trustedServices(inv: OrgInventory): ReadonlyArray<{ principal: string; why: string; fix: string }> {
  return optInRegionCheck(inv) ? [...TRUSTED_SERVICES, ACCOUNT_MANAGEMENT_SERVICE] : TRUSTED_SERVICES;
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);

/** Stops the preflight: every later call would fail the same way. */
class PreflightStop extends Error {
  override readonly name = 'PreflightStop';
  constructor(readonly check: Check) {
    super(check.detail);
  }
}

/**
 * Read-only checks of the AWS Organization against the inventory (see the file header). Every finding is
 * one Check; a denied call is a note naming the missing permission, and the other checks still run.
 */
export async function awsPreflight(inv: OrgInventory, clients: PreflightClients): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, verdict: Verdict, detail: string) => checks.push({ name, verdict, detail });
  /** Runs one call; a denied one becomes a note, a credentials problem stops the preflight. */
  const attempt = async <T>(name: string, permission: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (error) {
      const e = error as Error & { name: string };
      if (e.name === 'AccessDeniedException' || e.name === 'AccessDenied') {
        add(
          name,
          'warn',
          `not checked: access denied; these credentials need ${permission} (read-only; AWSOrganizationsReadOnlyAccess grants it)` +
            ', and Organizations answers it only in the management account or for a delegated administrator',
        );
        return undefined;
      }
      if (e.name === 'AWSOrganizationsNotInUseException') {
        throw new PreflightStop({
          name: 'organization',
          verdict: 'fail',
          detail:
            "these credentials' account is in no organization: use the management account's credentials, or create the organization with `aws organizations create-organization --feature-set ALL`",
        });
      }
      if (CREDENTIAL_ERRORS.has(e.name)) {
        throw new PreflightStop({
          name: PREFLIGHT,
          verdict: 'fail',
          detail: `the credentials do not work (${e.name}: ${e.message}); refresh them (e.g. \`aws sso login\`) or pick another AWS_PROFILE`,
        });
      }
      add(name, 'fail', `${permission.replace(/^\w+:/, '')} failed: ${e.name}: ${e.message}`);
      return undefined;
    }
  };

  try {
    const identity = await attempt('AWS identity', 'sts:GetCallerIdentity', () =>
      clients.sts.send(new GetCallerIdentityCommand({})),
    );
    const management = identity?.Account === inv.managementAccountId;
    if (identity) {
      add(
        'AWS identity',
        management ? 'ok' : 'warn',
        management
          ? `${identity.Arn} (the management account)`
          : `${identity.Arn} is in account ${identity.Account}, not the management account ${inv.managementAccountId}: ` +
              'run the preflight with management-account credentials; the checks that need them may be denied',
      );
    }

    const org = (
      await attempt('organization', 'organizations:DescribeOrganization', () =>
        clients.organizations.send(new DescribeOrganizationCommand({})),
      )
    )?.Organization;
    if (org) {
      const problems = [
        org.Id !== inv.organizationId
          ? `its id is ${org.Id}, but config/org.json says ${inv.organizationId}: check AWS_PROFILE, or run \`npm run org:sync\` if the file is wrong`
          : undefined,
        org.MasterAccountId !== inv.managementAccountId
          ? `its management account is ${org.MasterAccountId}, but config/org.json says ${inv.managementAccountId}: fix managementAccountId (npm run org:sync)`
          : undefined,
        org.FeatureSet !== 'ALL'
          ? `feature set ${org.FeatureSet}: SCPs and trusted access need all features: \`aws organizations enable-all-features\` (every member account then accepts the handshake)`
          : undefined,
      ].filter((p): p is string => p !== undefined);
      add(
        'organization',
        problems.length > 0 ? 'fail' : 'ok',
        problems.length > 0
          ? problems.join('; ')
          : `${org.Id}, all features, management account ${org.MasterAccountId}`,
      );
    }

    const roots = await attempt('organization root', 'organizations:ListRoots', () =>
      clients.organizations.send(new ListRootsCommand({})),
    );
    if (roots) {
      const root = roots.Roots?.find((r) => r.Id === inv.rootId);
      if (!root) {
        add(
          'organization root',
          'fail',
          `root ${inv.rootId} of config/org.json is not this organization's (${(roots.Roots ?? []).map((r) => r.Id).join(', ') || 'none'}): fix rootId (npm run org:sync)`,
        );
      } else {
        const scp = root.PolicyTypes?.find((t) => t.Type === 'SERVICE_CONTROL_POLICY')?.Status;
        add(
          'organization root',
          scp === 'ENABLED' ? 'ok' : 'fail',
          scp === 'ENABLED'
            ? `${root.Id}: SCP policy type enabled`
            : `${root.Id}: the SCP policy type is ${scp === undefined ? 'not enabled' : scp.toLowerCase().replace('_', ' ')}; the org-trail stack attaches vigil's guardrail SCP: ` +
                `\`aws organizations enable-policy-type --root-id ${root.Id} --policy-type SERVICE_CONTROL_POLICY\``,
        );
      }
    }

    const enabled = await attempt('trusted access', 'organizations:ListAWSServiceAccessForOrganization', async () => {
      const principals = new Set<string>();
      let NextToken: string | undefined;
      do {
        const page = await clients.organizations.send(new ListAWSServiceAccessForOrganizationCommand({ NextToken }));
        for (const s of page.EnabledServicePrincipals ?? []) if (s.ServicePrincipal) principals.add(s.ServicePrincipal);
        NextToken = page.NextToken;
      } while (NextToken);
      return principals;
    });
    if (enabled) {
      const needed = trustedServices(inv);
      const missing = needed.filter((s) => !enabled.has(s.principal));
      add(
        'trusted access',
        missing.length > 0 ? 'fail' : 'ok',
        missing.length > 0
          ? missing.map((s) => `not enabled for ${s.principal}, which ${s.why} needs: \`${s.fix}\``).join('; ')
          : `enabled for ${needed.map((s) => s.principal).join(', ')}`,
      );
    }

    const admins = await attempt(
      'CloudTrail delegated admin',
      'organizations:ListDelegatedAdministrators',
      async () => {
        const ids: string[] = [];
        let NextToken: string | undefined;
        do {
          const page = await clients.organizations.send(
            new ListDelegatedAdministratorsCommand({ ServicePrincipal: 'cloudtrail.amazonaws.com', NextToken }),
          );
          for (const a of page.DelegatedAdministrators ?? []) if (a.Id) ids.push(a.Id);
          NextToken = page.NextToken;
        } while (NextToken);
        return ids;
      },
    );
    if (admins) {
      add(
        'CloudTrail delegated admin',
        'ok',
        admins.length === 0
          ? 'none; none needed: vigil creates the organization trail from the management account'
          : `${admins.join(', ')}; vigil creates the organization trail from the management account, which works either way`,
      );
    }
  } catch (error) {
    if (!(error instanceof PreflightStop)) throw error;
    checks.push(error.check);
  }
  return checks;
}

if (require.main === module) runCli('doctor', (argv) => main(argv), 1);
