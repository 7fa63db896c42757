import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Testing } from '../../framework/cdktf';
import type { TfcBackendConfig } from '../../config/tfc';
import { ciRoleArn, stackIds } from '../../config/naming';
import { TFC_STACK_ID } from '../../config/tfc';
import { buildApp } from '../../app';
import { checkStacks, readStack, uncheckableReason } from '../../scripts/terraform/check';
import { deployWaves, stackDependencies } from '../../scripts/terraform/order';
import { type TfcManagedStack, TfcStack } from '../../stacks/tfc-stack';
import { inventoryWith, TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';
import { type Json, resourcesOfType, synthJson } from '../helpers/synth';

const BACKEND: TfcBackendConfig = { type: 'tfc', organization: 'acme', workspacePattern: 'vigil-{stack}' };
const withBackend = (backend: Partial<TfcBackendConfig>) =>
  inventoryWith((i) => (i.backend = { ...BACKEND, ...backend }));

/** The AWS stacks of the test org, with their real dependencies. */
const AWS_STACKS: TfcManagedStack[] = [
  stackIds.logArchive,
  stackIds.orgTrail,
  stackIds.security,
  ...TEST_INVENTORY.accounts.map((a) => stackIds.member(a.id)),
  // bootstrap is applied locally (its own test below): these are the stacks Terraform Cloud runs.
].map((id) => ({ id, dependsOn: stackDependencies(id).filter((d) => d !== stackIds.bootstrap) }));

const synth = (backend: Partial<TfcBackendConfig> = {}, stacks: readonly TfcManagedStack[] = AWS_STACKS): Json =>
  synthJson(new TfcStack(Testing.app(), TFC_STACK_ID, { inventory: withBackend(backend), stacks }));

/** Workspace name behind a `${tfe_workspace.<key>.id}` reference. */
const workspaceNameOf = (tf: Json, ref: string): string => {
  const key = /^\$\{tfe_workspace\.([\w-]+)\.id\}$/.exec(ref)?.[1];
  return tf['resource']['tfe_workspace'][key!]['name'];
};
const stackOf = (tf: Json, ref: string) => workspaceNameOf(tf, ref).replace(/^vigil-/, '');

describe('TfcStack', () => {
  it('creates one workspace per stack, named by the pattern, pinned, without auto-apply by default', () => {
    const tf = synth();
    const workspaces = resourcesOfType(tf, 'tfe_workspace');

    expect(workspaces.map((w) => w['name']).sort()).toEqual(AWS_STACKS.map((s) => `vigil-${s.id}`).sort());
    for (const w of workspaces) {
      expect(w).toMatchObject({
        organization: 'acme',
        terraform_version: '1.11.4',
        auto_apply: false,
        auto_apply_run_trigger: false,
        queue_all_runs: false,
      });
      expect(w['working_directory']).toBeUndefined();
      expect(w['project_id']).toBeUndefined();
    }
    expect(resourcesOfType(tf, 'tfe_workspace_settings').map((s) => s['execution_mode'])).toEqual(
      expect.arrayContaining(['remote']),
    );
  });

  it('gives every AWS workspace dynamic credentials for the CI role, through one prioritized variable set', () => {
    const tf = synth({ awsAudience: 'vigil.tfc' });
    const [set] = resourcesOfType(tf, 'tfe_variable_set');
    const variables = Object.fromEntries(resourcesOfType(tf, 'tfe_variable').map((v) => [v['key'], v]));
    const attached = resourcesOfType(tf, 'tfe_workspace_variable_set');

    expect(set).toMatchObject({ name: 'vigil-aws-credentials', organization: 'acme', priority: true });
    expect(variables).toEqual({
      TFC_AWS_PROVIDER_AUTH: expect.objectContaining({ value: 'true', category: 'env' }),
      TFC_AWS_RUN_ROLE_ARN: expect.objectContaining({ value: ciRoleArn(TEST_INVENTORY), category: 'env' }),
      TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE: expect.objectContaining({ value: 'vigil.tfc', category: 'env' }),
    });
    expect(resourcesOfType(tf, 'tfe_variable').map((v) => v['variable_set_id'])).toEqual(
      Array(3).fill('${tfe_variable_set.aws-credentials.id}'),
    );
    expect(attached.map((a) => stackOf(tf, a['workspace_id'])).sort()).toEqual(AWS_STACKS.map((s) => s.id).sort());
  });

  it('sets no audience unless configured (HCP Terraform then uses aws.workload.identity)', () => {
    expect(resourcesOfType(synth(), 'tfe_variable').map((v) => v['key'])).toEqual([
      'TFC_AWS_PROVIDER_AUTH',
      'TFC_AWS_RUN_ROLE_ARN',
    ]);
  });

  it('triggers each workspace from the workspaces it depends on, so runs follow the deploy waves', () => {
    const tf = synth();
    const pairs = resourcesOfType(tf, 'tfe_run_trigger').map((t) => [
      stackOf(tf, t['workspace_id']),
      stackOf(tf, t['sourceable_id']),
    ]);
    const waves = deployWaves(AWS_STACKS.map((s) => s.id));
    const wave = (id: string) => waves.findIndex((w) => w.includes(id));

    expect(pairs.sort()).toEqual(AWS_STACKS.flatMap((s) => s.dependsOn.map((d) => [s.id, d])).sort());
    for (const [target, source] of pairs) expect(wave(source!)).toBeLessThan(wave(target!));
    expect(pairs).toContainEqual(['member-444444444444', 'security']);
  });

  it('keeps locally applied stacks (bootstrap) and its own workspace in local execution, without credentials or triggers', () => {
    const stacks = [
      { id: 'bootstrap', dependsOn: [], local: true },
      ...AWS_STACKS.map((s) => ({ ...s, dependsOn: s.id === stackIds.logArchive ? ['bootstrap'] : s.dependsOn })),
    ];
    const tf = synth(
      { notifications: [{ name: 'ops', destinationType: 'email', emailUserIds: ['user-abc123'] }] },
      stacks,
    );
    const settings = tf['resource']['tfe_workspace_settings'];

    expect(settings['settings-bootstrap']['execution_mode']).toBe('local');
    expect(settings['own-workspace-settings']).toEqual({
      workspace_id: '${data.tfe_workspace.own-workspace.id}',
      execution_mode: 'local',
    });
    expect(tf['data']['tfe_workspace']['own-workspace']).toEqual({ name: 'vigil-tfc', organization: 'acme' });
    const touchesBootstrap = (r: Json) =>
      ['workspace_id', 'sourceable_id'].some((k) => r[k] === '${tfe_workspace.workspace-bootstrap.id}');
    for (const type of ['tfe_workspace_variable_set', 'tfe_run_trigger', 'tfe_notification_configuration']) {
      expect(resourcesOfType(tf, type).filter(touchesBootstrap)).toEqual([]);
    }
    expect(resourcesOfType(tf, 'tfe_workspace_variable_set')).toHaveLength(AWS_STACKS.length);
  });

  it('runs on an agent pool, in a project, with auto-apply and a working directory when configured', () => {
    const tf = synth({
      executionMode: 'agent',
      agentPoolId: 'apool-Abc123',
      project: 'security-platform',
      autoApply: true,
      terraformVersion: '1.12.2',
      workingDirectory: 'cdktf.out/stacks/{stack}',
    });

    expect(tf['data']['tfe_project']['project']).toEqual({ name: 'security-platform', organization: 'acme' });
    expect(tf['resource']['tfe_workspace']['workspace-security']).toMatchObject({
      project_id: '${data.tfe_project.project.id}',
      auto_apply: true,
      auto_apply_run_trigger: true,
      terraform_version: '1.12.2',
      working_directory: 'cdktf.out/stacks/security',
    });
    expect(tf['resource']['tfe_workspace_settings']['settings-security']).toMatchObject({
      execution_mode: 'agent',
      agent_pool_id: 'apool-Abc123',
    });
    expect(tf['terraform']['cloud']).toEqual({
      hostname: 'app.terraform.io',
      organization: 'acme',
      workspaces: { name: 'vigil-tfc', project: 'security-platform' },
    });
  });

  it('notifies every AWS workspace on errored runs and runs that need attention, the webhook URL a sensitive variable', () => {
    const tf = synth({
      notifications: [
        { name: 'Security Slack', destinationType: 'slack', urlVariable: 'slack_webhook_url' },
        { name: 'oncall', destinationType: 'email', emailUserIds: ['user-abc123'], triggers: ['run:errored'] },
      ],
    });
    const notifications = resourcesOfType(tf, 'tfe_notification_configuration');
    const slack = notifications.filter((n) => n['destination_type'] === 'slack');

    expect(notifications).toHaveLength(2 * AWS_STACKS.length);
    expect(slack.map((n) => stackOf(tf, n['workspace_id'])).sort()).toEqual(AWS_STACKS.map((s) => s.id).sort());
    expect(slack[0]).toMatchObject({
      name: 'Security Slack',
      enabled: true,
      url: '${var.slack_webhook_url}',
      triggers: ['run:errored', 'run:needs_attention'],
    });
    expect(tf['variable']['slack_webhook_url']).toMatchObject({ type: 'string', sensitive: true, nullable: false });
    expect(notifications.find((n) => n['destination_type'] === 'email')).toMatchObject({
      email_user_ids: ['user-abc123'],
      triggers: ['run:errored'],
    });
    expect(JSON.stringify(tf)).not.toMatch(/hooks\.slack\.com/);
  });

  it('fails when the backend is not Terraform Cloud', () => {
    expect(() => new TfcStack(Testing.app(), 'tfc', { inventory: TEST_INVENTORY, stacks: AWS_STACKS })).toThrow(
      /backend type 'local'; the tfc stack exists only with "backend": \{"type": "tfc"/,
    );
  });

  it.each([
    ['no stacks', [], /stacks is empty/],
    ['itself', [...AWS_STACKS, { id: 'tfc', dependsOn: [] }], /includes 'tfc' itself/],
    ['a stack twice', [...AWS_STACKS, AWS_STACKS[0]!], /'log-archive' appears twice/],
  ])('fails when given %s', (_case, stacks, message) => {
    expect(() => synth({}, stacks)).toThrow(message);
  });
});

describe('buildApp with the Terraform Cloud backend', () => {
  it('adds the tfc stack with a workspace for every other stack, deployed in a wave of its own first', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'vigil-tfc-app-')), stackTraces: false });
    buildApp(app, { inventory: withBackend({}), alerting: TEST_ALERTING, remediation: TEST_REMEDIATION }).synth();
    const manifest = JSON.parse(readFileSync(join(app.outdir, 'manifest.json'), 'utf8'));
    const ids = Object.keys(manifest.stacks);
    const tfc = JSON.parse(readFileSync(join(app.outdir, 'stacks', 'tfc', 'cdk.tf.json'), 'utf8'));

    expect(ids).toContain('tfc');
    expect(
      resourcesOfType(tfc, 'tfe_workspace')
        .map((w) => w['name'])
        .sort(),
    ).toEqual(
      ids
        .filter((id) => id !== 'tfc')
        .map((id) => `vigil-${id}`)
        .sort(),
    );
    expect(deployWaves(ids)[0]).toEqual(['tfc']);
  });

  it('is left out of the offline Terraform check (hashicorp/tfe is not mirrored), with the reason', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'vigil-tfc-check-'));
    buildApp(new App({ outdir, stackTraces: false }), {
      inventory: withBackend({}),
      alerting: TEST_ALERTING,
      remediation: TEST_REMEDIATION,
    }).synth();
    const skipped: string[] = [];
    const source = (id: string) => ({ org: 'tfc', id, dir: join(outdir, 'stacks', id) });

    // No terraform runs: the only source is skipped before init (the binary path is never used).
    const checks = await checkStacks([source('tfc')], {
      toolchain: { terraform: '/nonexistent/terraform', pluginDir: outdir, mirrored: ['6.25.0'] },
      tmpRoot: outdir,
      onSkip: (s, reason) => skipped.push(`${s.id}: ${reason}`),
    });

    expect(checks).toEqual([]);
    expect(skipped).toEqual([expect.stringMatching(/^tfc: needs hashicorp\/tfe, which the offline provider mirror/)]);
    expect(uncheckableReason(readStack(join(outdir, 'stacks', 'security')))).toBeUndefined();
  });
});
