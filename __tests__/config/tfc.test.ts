import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/load';
import { type TfcBackendConfig, tfcBackendProblems, tfcWorkloadIdentity, tfcWorkspaceName } from '../../config/tfc';
import { inventoryWith } from '../fixtures/inventory';

const TFC = { type: 'tfc', organization: 'acme', workspacePattern: 'vigil-{stack}' };
const problemsOf = (edit: (inv: any) => void) => tfcBackendProblems(inventoryWith(edit));

describe('tfcBackendProblems', () => {
  it('has nothing to say about other backends or a minimal tfc backend', () => {
    expect(problemsOf(() => undefined)).toEqual([]);
    expect(
      problemsOf((i) => (i.backend = { type: 's3', bucket: 'b', region: 'eu-west-1', executionMode: 'x' })),
    ).toEqual([]);
    expect(problemsOf((i) => (i.backend = TFC))).toEqual([]);
  });

  it('accepts a fully configured Terraform Cloud backend', () => {
    const problems = problemsOf(
      (i) =>
        (i.backend = {
          ...TFC,
          hostname: 'tfe.example.com',
          project: 'Security Platform',
          executionMode: 'agent',
          agentPoolId: 'apool-Abc123',
          autoApply: true,
          terraformVersion: '1.12.2',
          workingDirectory: 'cdktf.out/stacks/{stack}',
          awsAudience: 'aws.workload.identity',
          notifications: [
            { name: 'slack', destinationType: 'slack', urlVariable: 'slack_webhook_url' },
            {
              name: 'mail',
              destinationType: 'email',
              emailAddresses: ['secops@example.com'],
              triggers: ['run:errored'],
            },
          ],
        }),
    );
    expect(problems).toEqual([]);
  });

  it.each<[string, (inv: any) => void, string, RegExp]>([
    [
      'a TFC agent execution mode without a pool',
      (i) => (i.backend = { ...TFC, executionMode: 'agent' }),
      'backend.agentPoolId',
      /needs the agent pool id, like "apool-/,
    ],
    [
      'a TFC agent pool without agent execution',
      (i) => (i.backend = { ...TFC, agentPoolId: 'apool-Abc123' }),
      'backend.agentPoolId',
      /only used with executionMode "agent"/,
    ],
    [
      'an unknown TFC execution mode',
      (i) => (i.backend = { ...TFC, executionMode: 'local' }),
      'backend.executionMode',
      /"remote" .* or "agent"/,
    ],
    [
      'a TFC version constraint instead of a pin',
      (i) => (i.backend = { ...TFC, terraformVersion: '~> 1.11' }),
      'backend.terraformVersion',
      /exact Terraform version like "1\.11\.4"/,
    ],
    [
      'a TFC auto-apply that is not a boolean',
      (i) => (i.backend = { ...TFC, autoApply: 'yes' }),
      'backend.autoApply',
      /true or false/,
    ],
    [
      'a TFC working directory escaping the upload',
      (i) => (i.backend = { ...TFC, workingDirectory: '../stacks/{stack}' }),
      'backend.workingDirectory',
      /relative path without '\.\.'/,
    ],
    [
      'an empty TFC project name',
      (i) => (i.backend = { ...TFC, project: '' }),
      'backend.project',
      /name of an existing project/,
    ],
    [
      'a Slack notification without its URL variable',
      (i) => (i.backend = { ...TFC, notifications: [{ name: 'slack', destinationType: 'slack' }] }),
      'backend.notifications[0].urlVariable',
      /needs urlVariable: .*TF_VAR_slack_webhook_url/,
    ],
    [
      'an email notification without recipients',
      (i) => (i.backend = { ...TFC, notifications: [{ name: 'mail', destinationType: 'email' }] }),
      'backend.notifications[0]',
      /needs emailUserIds .* or emailAddresses/,
    ],
    [
      'an unknown notification trigger',
      (i) =>
        (i.backend = {
          ...TFC,
          notifications: [{ name: 'hook', destinationType: 'generic', urlVariable: 'hook', triggers: ['run:failed'] }],
        }),
      'backend.notifications[0].triggers[0]',
      /unknown trigger "run:failed"; expected one of .*run:errored/,
    ],
    [
      'two notifications with the same name',
      (i) =>
        (i.backend = {
          ...TFC,
          notifications: [
            { name: 'Ops Mail', destinationType: 'email', emailUserIds: ['user-1'] },
            { name: 'ops-mail', destinationType: 'email', emailUserIds: ['user-2'] },
          ],
        }),
      'backend.notifications[1].name',
      /used by an earlier notification/,
    ],
  ])('fails when the backend has %s', (_case, edit, path, message) => {
    expect(problemsOf(edit)).toContainEqual({ path, message: expect.stringMatching(message) });
  });
});

describe('loadConfig with a Terraform Cloud backend', () => {
  it('lists the Terraform Cloud problems with the rest of the inventory, by file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tfc-config-'));
    const root = resolve(__dirname, '../..');
    for (const f of ['alerting.json', 'remediation.json']) copyFileSync(join(root, 'config', f), join(dir, f));
    const org = JSON.parse(readFileSync(join(root, 'config', 'org.json'), 'utf8'));
    writeFileSync(join(dir, 'org.json'), JSON.stringify({ ...org, backend: { ...TFC, executionMode: 'agent' } }));

    expect(() =>
      loadConfig({
        inventory: join(dir, 'org.json'),
        alerting: join(dir, 'alerting.json'),
        remediation: join(dir, 'remediation.json'),
      }),
    ).toThrow(/org\.json: backend\.agentPoolId: executionMode "agent" needs the agent pool id/);
  });
});

describe('tfcWorkspaceName', () => {
  it('replaces {stack} in the pattern', () => {
    expect(tfcWorkspaceName({ workspacePattern: 'sec-{stack}-vigil' }, 'member-111111111111')).toBe(
      'sec-member-111111111111-vigil',
    );
  });
});

describe('tfcWorkloadIdentity', () => {
  it("gives the CI role's trust what HCP Terraform's tokens carry, pinned to the organization and project", () => {
    const backend: TfcBackendConfig = { type: 'tfc', organization: 'acme', workspacePattern: 'vigil-{stack}' };

    expect(tfcWorkloadIdentity(backend)).toEqual({
      providerUrl: 'https://app.terraform.io',
      audience: 'aws.workload.identity',
      subject: 'organization:acme:project:Default Project:workspace:vigil-*:run_phase:*',
    });
    expect(
      tfcWorkloadIdentity({ ...backend, hostname: 'tfe.example.com', project: 'security', awsAudience: 'vigil' }),
    ).toEqual({
      providerUrl: 'https://tfe.example.com',
      audience: 'vigil',
      subject: 'organization:acme:project:security:workspace:vigil-*:run_phase:*',
    });
  });
});
