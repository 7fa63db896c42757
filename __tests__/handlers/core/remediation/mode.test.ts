import type { ModeRule } from '../../../../config/remediation';
import { accountFacts, resolveMode, weakerMode } from '../../../../handlers/core/remediation/mode';
import { CATALOG } from '../../../../rules/catalog';
import type { Detection } from '../../../../rules/types';
import { ACCOUNTS, BUNDLED_CONFIG, VIEW } from '../../../helpers/remediation';

const detection = (id: string): Detection => CATALOG.find((d) => d.id === id)!;
const facts = (accountId: string) => accountFacts(VIEW, accountId)!;

const SG_OPEN = detection('ec2-security-group-world-open-ingress'); // catalog default: auto
const ADMIN = detection('iam-admin-policy-attached'); // catalog default: approve
const NO_ACTION = detection('iam-user-created');

describe('accountFacts', () => {
  it('gives the OU chain nearest first and the environment class', () => {
    expect(facts(ACCOUNTS.paymentsProd)).toEqual({
      id: ACCOUNTS.paymentsProd,
      ouChain: ['ou-k3m9-pr0d0001', 'ou-k3m9-w0rk10ad'],
      environment: 'prod',
    });
    expect(facts(ACCOUNTS.management).ouChain).toEqual([]);
  });

  it('is undefined for an account outside the inventory', () => {
    expect(accountFacts(VIEW, '999999999999')).toBeUndefined();
  });
});

describe('resolveMode with the bundled config (phased rollout)', () => {
  it.each([
    ['sandbox', ACCOUNTS.sandboxAlice, SG_OPEN, 'auto', /environment sandbox/],
    ['non-prod', ACCOUNTS.paymentsStaging, SG_OPEN, 'auto', /environment non-prod/],
    ['prod', ACCOUNTS.paymentsProd, SG_OPEN, 'approve', /environment prod/],
    ['management (account entry)', ACCOUNTS.management, SG_OPEN, 'notify', /account 110000000001/],
    [
      'sandbox, detection-scoped OU entry',
      ACCOUNTS.sandboxAlice,
      ADMIN,
      'notify',
      /iam-admin-policy-attached entry for OU/,
    ],
    [
      'non-prod, catalog approve raised by the environment',
      ACCOUNTS.paymentsStaging,
      ADMIN,
      'auto',
      /environment non-prod/,
    ],
  ])('%s: %s', (_case, account, d, mode, reason) => {
    const decision = resolveMode(d, facts(account), BUNDLED_CONFIG);
    expect(decision.mode).toBe(mode);
    expect(decision.reason).toMatch(reason);
  });
});

describe('resolveMode precedence', () => {
  const prod = facts(ACCOUNTS.paymentsProd); // OUs: Prod < Workloads; environment prod
  const resolve = (modes: ModeRule[], d: Detection = SG_OPEN, account = prod) => resolveMode(d, account, { modes });

  it('falls back to the catalog default when no entry applies', () => {
    expect(resolve([])).toEqual({ mode: 'auto', source: 'catalog', reason: expect.stringMatching(/catalog default/) });
    expect(resolve([], ADMIN).mode).toBe('approve');
  });

  it.each<[string, ModeRule[], string, string]>([
    ['organization beats the catalog', [{ mode: 'notify' }], 'notify', 'organization'],
    [
      'environment beats organization',
      [{ mode: 'notify' }, { environment: 'prod', mode: 'approve' }],
      'approve',
      'environment',
    ],
    [
      'an OU beats its environment',
      [
        { environment: 'prod', mode: 'approve' },
        { ou: 'ou-k3m9-w0rk10ad', mode: 'off' },
      ],
      'off',
      'ou',
    ],
    [
      'the nearest OU beats a farther one',
      [
        { ou: 'ou-k3m9-w0rk10ad', mode: 'off' },
        { ou: 'ou-k3m9-pr0d0001', mode: 'notify' },
      ],
      'notify',
      'ou',
    ],
    [
      'the nearest OU beats a farther OU even when only the farther one names the detection',
      [
        { ou: 'ou-k3m9-w0rk10ad', detections: [SG_OPEN.id], mode: 'off' },
        { ou: 'ou-k3m9-pr0d0001', mode: 'notify' },
      ],
      'notify',
      'ou',
    ],
    [
      'the account beats its OU',
      [
        { ou: 'ou-k3m9-pr0d0001', mode: 'notify' },
        { account: ACCOUNTS.paymentsProd, mode: 'approve' },
      ],
      'approve',
      'account',
    ],
    [
      'an entry naming the detection beats an unscoped one at the same level',
      [
        { environment: 'prod', mode: 'approve' },
        { environment: 'prod', detections: [SG_OPEN.id], mode: 'auto' },
      ],
      'auto',
      'environment',
    ],
    [
      'an entry naming another detection does not apply',
      [{ environment: 'prod', detections: [ADMIN.id], mode: 'off' }],
      'auto',
      'catalog',
    ],
    [
      'entries of other accounts, OUs and environments do not apply',
      [
        { account: ACCOUNTS.management, mode: 'off' },
        { ou: 'ou-k3m9-5andb0x1', mode: 'off' },
        { environment: 'sandbox', mode: 'off' },
      ],
      'auto',
      'catalog',
    ],
  ])('%s', (_case, modes, mode, source) => {
    const decision = resolve(modes);
    expect(decision.mode).toBe(mode);
    expect(decision.source).toBe(source);
  });

  it('turns remediation off with off', () => {
    expect(resolve([{ account: ACCOUNTS.paymentsProd, mode: 'off', note: 'migration' }])).toEqual({
      mode: 'off',
      source: 'account',
      reason: expect.stringMatching(/off by the entry for account 110000000006 .*\(migration\)/),
    });
  });

  it('keeps a detection without a remediation action at notify, whatever the table says', () => {
    expect(resolve([{ mode: 'auto' }], NO_ACTION)).toEqual({
      mode: 'notify',
      source: 'catalog',
      reason: expect.stringMatching(/no remediation action/),
    });
  });
});

describe('weakerMode', () => {
  it.each([
    ['auto', 'approve', 'approve'],
    ['approve', 'notify', 'notify'],
    ['notify', 'auto', 'notify'],
    ['off', 'notify', 'off'],
  ] as const)('%s vs %s → %s', (a, b, expected) => {
    expect(weakerMode(a, b)).toBe(expected);
  });
});
