import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from '../../framework/cdktf';
import { inventoryProblems, type OrgInventory } from '../../config/inventory';
import { parseHandlerInventory, toHandlerInventory } from '../../handlers/core/inventory-view';
import { accountFacts, resolveMode } from '../../handlers/core/remediation/mode';
import { CATALOG } from '../../rules/catalog';
import { forwardingPatterns } from '../../rules/patterns';
import { main } from '../../scripts/plan';
import { MemberStack } from '../../stacks/member-stack';
import { remediationPermissions } from '../../derive/remediation-permissions';
import { inventoryWith, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';
import { simulate } from '../helpers/iam-simulate';
import { synthJson } from '../helpers/synth';
import { roleNamed, synthesizedRoles } from '../helpers/synthesized-iam';

// SCPs do not apply in the management account: vigil keeps its power there to the read-only and
// forwarder roles unless the inventory opts in, and then bounds the change roles itself.
const MANAGEMENT = '111111111111';
const OPTED_IN: OrgInventory = inventoryWith((i) => {
  i.remediateManagementAccount = true;
});
const rolesOf = (inventory: OrgInventory) =>
  synthesizedRoles(
    synthJson(
      new MemberStack(Testing.app(), `member-${MANAGEMENT}`, {
        inventory,
        account: inventory.accounts[0]!,
        patterns: forwardingPatterns(CATALOG),
        permissions: remediationPermissions(CATALOG),
      }),
    ),
    MANAGEMENT,
  );

describe('the management account', () => {
  it('gets no remediation or undo role by default, only the forwarder, heartbeat and read-only roles', () => {
    expect(
      rolesOf(TEST_INVENTORY)
        .map((r) => r.name)
        .sort(),
    ).toEqual(['vigil-forwarder', 'vigil-heartbeat', 'vigil-readonly']);
  });

  it('gets bounded change roles on opt-in: the boundary alone stops an admin-policy attach', async () => {
    const roles = rolesOf(OPTED_IN);
    expect(roles.map((r) => r.name).sort()).toEqual([
      'vigil-forwarder',
      'vigil-heartbeat',
      'vigil-readonly',
      'vigil-remediation',
      'vigil-remediation-undo',
    ]);
    const undo = roleNamed(roles, 'vigil-remediation-undo');
    const attach = (boundary: boolean) =>
      simulate({
        principal: undo.arn,
        action: 'iam:AttachRolePolicy',
        resource: `arn:aws:iam::${MANAGEMENT}:role/Admin`,
        principalOrgId: TEST_INVENTORY.organizationId,
        identityPolicies: undo.policies as Record<string, unknown>[],
        ...(boundary ? { permissionsBoundary: undo.boundary as Record<string, unknown> } : {}),
        context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' },
      });
    // The identity policy alone would allow it (the member-account undo); the boundary refuses it.
    await expect(attach(false)).resolves.toBe('Allowed');
    await expect(attach(true)).resolves.toBe('ExplicitlyDenied');
    expect(roleNamed(roles, 'vigil-remediation').boundary).toEqual(undo.boundary);
  });

  it('keeps the read-only role unbounded but powerless to change anything', async () => {
    const readOnly = roleNamed(rolesOf(TEST_INVENTORY), 'vigil-readonly');
    await expect(
      simulate({
        principal: readOnly.arn,
        action: 'iam:AttachRolePolicy',
        resource: `arn:aws:iam::${MANAGEMENT}:role/vigil-readonly`,
        identityPolicies: [...(readOnly.policies as Record<string, unknown>[])],
        context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' },
      }),
    ).resolves.toBe('ImplicitlyDenied');
  });
});

describe('remediateManagementAccount in the inventory', () => {
  it('fails when it is not a boolean, naming the field and what it does', () => {
    const problems = inventoryProblems(inventoryWith((i) => (i.remediateManagementAccount = 'yes')));
    expect(problems).toEqual([
      {
        path: 'remediateManagementAccount',
        message: expect.stringMatching(/^expected true or false .*management account.*SCPs do not apply.*"yes"$/),
      },
    ]);
  });

  it('reaches the handlers through the inventory view', () => {
    expect(toHandlerInventory(TEST_INVENTORY)).toMatchObject({
      managementAccountId: MANAGEMENT,
      remediateManagementAccount: false,
    });
    expect(toHandlerInventory(OPTED_IN).remediateManagementAccount).toBe(true);
  });

  it('fails when a bundled view lacks it (an older bundle): no handler guesses which account is the management one', () => {
    const { managementAccountId: _m, remediateManagementAccount: _r, ...old } = toHandlerInventory(TEST_INVENTORY);
    expect(() => parseHandlerInventory(old)).toThrow(
      /managementAccountId: expected a 12-digit account id\n {2}- remediateManagementAccount: expected true or false/,
    );
  });
});

describe('mode in the management account', () => {
  const detection = CATALOG.find((d) => d.remediation?.action === 'restore-bucket-public-access-block')!;
  const modeIn = (inventory: OrgInventory, accountId: string) =>
    resolveMode(detection, accountFacts(toHandlerInventory(inventory), accountId)!, TEST_REMEDIATION);

  it('is notify without the opt-in, saying why and how to opt in', () => {
    const decision = modeIn(TEST_INVENTORY, MANAGEMENT);
    expect(decision.mode).toBe('notify');
    expect(decision.source).toBe('management-account');
    expect(decision.reason).toMatch(/management account.*remediateManagementAccount.*would have chosen approve/);
  });

  it('follows the config with the opt-in, and elsewhere', () => {
    expect(modeIn(OPTED_IN, MANAGEMENT).mode).toBe('approve');
    expect(modeIn(TEST_INVENTORY, '444444444444').mode).toBe('approve');
    expect(modeIn(TEST_INVENTORY, '555555555555').mode).toBe('auto');
  });

  it('never raises off to notify', () => {
    const off = { ...TEST_REMEDIATION, modes: [{ account: MANAGEMENT, mode: 'off' as const }] };
    const decision = resolveMode(detection, accountFacts(toHandlerInventory(TEST_INVENTORY), MANAGEMENT)!, off);
    expect(decision.mode).toBe('off');
  });

  describe('npm run plan', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'vigil-mgmt-plan-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('shows the management-account rule as the mode and its reason', async () => {
      // config/org.json's management account (110000000001), where the event now happens.
      const fixture = join(__dirname, '..', 'fixtures', 'events', 's3-bucket-public-access-block-deleted');
      const raw = JSON.parse(readFileSync(join(fixture, 'positive-delete.json'), 'utf8'));
      raw.account = '110000000001';
      raw.detail.recipientAccountId = '110000000001';
      const file = join(dir, 'event.json');
      writeFileSync(file, JSON.stringify(raw));
      // The shipped config already says notify for that account; without that entry the rule still holds.
      const root = join(__dirname, '..', '..');
      const config = JSON.parse(readFileSync(join(root, 'config', 'remediation.json'), 'utf8'));
      config.modes = config.modes.filter((m: { account?: string }) => m.account !== '110000000001');
      const configFile = join(dir, 'remediation.json');
      writeFileSync(configFile, JSON.stringify(config));
      const out: string[] = [];
      const code = await main(['--json', '--config', configFile, file], {
        stdout: (l) => out.push(l),
        stderr: () => undefined,
        cwd: root,
        today: '2026-11-28',
      });
      const detections = out.map((l) => JSON.parse(l)).flatMap((l) => l.detections ?? []);
      expect(code).toBe(0);
      expect(detections.map((d: { mode: string }) => d.mode)).toEqual(['notify']);
      expect(detections[0].modeReason).toMatch(/110000000001 is the management account.*remediateManagementAccount/);
    });
  });
});
