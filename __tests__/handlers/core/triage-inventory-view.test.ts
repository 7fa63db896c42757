import org from '../../../config/org.json';
import { assertValidInventory } from '../../../config/inventory';
import {
  findAccount,
  HANDLER_INVENTORY_VERSION,
  ouChain,
  parseHandlerInventory,
  toHandlerInventory,
} from '../../../handlers/core/inventory-view';
import { TRIAGE_ORG, TRIAGE_VIEW } from '../../fixtures/triage';

describe('toHandlerInventory', () => {
  it('keeps what handlers need and keys accounts and OUs by id', () => {
    const view = toHandlerInventory(TRIAGE_ORG);

    expect(view).toMatchObject({
      version: HANDLER_INVENTORY_VERSION,
      organizationId: 'o-k3m9x2p7qa',
      rootId: 'r-k3m9',
      namePrefix: 'vigil',
      defaultOwner: 'cloud-security',
    });
    expect(view.accounts['110000000009']).toEqual({
      name: 'checkout-dev',
      ouId: 'ou-k3m9-n0npr0d1',
      ouPath: 'Workloads/NonProd',
      environment: 'non-prod',
      tags: { environment: 'development' },
      regions: ['eu-central-1', 'eu-west-1', 'us-east-1'],
    });
    expect(view.regions).toEqual([...TRIAGE_ORG.regions].sort());
    expect(view.organizationalUnits['ou-k3m9-w0rk10ad']).toEqual({
      name: 'Workloads',
      parentId: 'r-k3m9',
      defaultOwner: 'workloads-team',
    });
  });

  it('gives an account directly under the root an empty OU path and its own environment', () => {
    expect(TRIAGE_VIEW.accounts['110000000001']).toMatchObject({ ouId: 'r-k3m9', ouPath: '', environment: 'prod' });
  });

  it('inherits the environment class from the parent OU chain', () => {
    expect(TRIAGE_VIEW.accounts['110000000006']!.environment).toBe('prod');
    expect(TRIAGE_VIEW.accounts['110000000011']!.environment).toBe('sandbox');
  });

  it('leaves out what handlers must not see (backend, SCP targets, emails)', () => {
    const json = JSON.stringify(toHandlerInventory(assertValidInventory(org)));

    expect(json).not.toContain('backend');
    expect(json).not.toContain('scpTargets');
    expect(json).not.toContain('@example.com');
  });

  it('is deterministic: the same inventory in another order gives the same JSON', () => {
    const shuffled = {
      ...TRIAGE_ORG,
      accounts: [...TRIAGE_ORG.accounts]
        .reverse()
        .map((a) => ({ ...a, tags: Object.fromEntries(Object.entries(a.tags).reverse()) })),
      organizationalUnits: [...TRIAGE_ORG.organizationalUnits].reverse(),
    };

    expect(JSON.stringify(toHandlerInventory(shuffled))).toBe(JSON.stringify(TRIAGE_VIEW));
  });

  it('round-trips through JSON and parseHandlerInventory', () => {
    const view = toHandlerInventory(assertValidInventory(org));

    expect(parseHandlerInventory(JSON.parse(JSON.stringify(view)))).toEqual(view);
  });
});

describe('parseHandlerInventory', () => {
  const valid = () => JSON.parse(JSON.stringify(TRIAGE_VIEW));

  it('fails when the file is not an object', () => {
    expect(() => parseHandlerInventory([], 'inventory.json')).toThrow('inventory.json: expected a JSON object');
  });

  it('fails when the version is not the one this handler reads', () => {
    const raw = { ...valid(), version: 2 };

    expect(() => parseHandlerInventory(raw)).toThrow(/version: expected 3, got 2/);
  });

  it('carries the security account, and refuses a view without it', () => {
    expect(valid().securityAccountId).toBe('110000000003');
    const { securityAccountId: _dropped, ...raw } = valid();

    expect(() => parseHandlerInventory(raw)).toThrow(/securityAccountId: expected a 12-digit account id/);
  });

  it('fails listing every problem at once', () => {
    const raw = valid();
    delete raw.namePrefix;
    raw.accounts['12345'] = { name: 'x', ouId: 'r-k3m9', ouPath: '', environment: 'staging', tags: { owner: 1 } };
    raw.regions = [];
    raw.organizationalUnits['ou-k3m9-5andb0x1'].defaultOwner = '';
    raw.accounts['110000000002'] = 'log-archive';
    raw.organizationalUnits['ou-k3m9-pr0d0001'] = { name: 'Prod' };

    let error: Error | undefined;
    try {
      parseHandlerInventory(raw);
    } catch (err) {
      error = err as Error;
    }

    expect(error?.name).toBe('ConfigurationError');
    for (const problem of [
      'namePrefix: expected a non-empty string',
      'accounts.12345: the key must be a 12-digit account id',
      'accounts.12345.environment: expected one of',
      'accounts.12345.tags: expected an object of string values',
      'accounts.12345.regions: expected a non-empty list of region names',
      'regions: expected a non-empty list of region names',
      'accounts.110000000002: expected an object',
      'organizationalUnits.ou-k3m9-5andb0x1.defaultOwner: expected a non-empty string',
      'organizationalUnits.ou-k3m9-pr0d0001: expected { name, parentId, defaultOwner? }',
    ]) {
      expect(error?.message).toContain(problem);
    }
  });
});

describe('findAccount', () => {
  it('finds an account by id', () => {
    expect(findAccount(TRIAGE_VIEW, '110000000006')?.name).toBe('payments-prod');
  });

  it.each(['999999999999', 'constructor', '__proto__'])('finds nothing for %s', (id) => {
    expect(findAccount(TRIAGE_VIEW, id)).toBeUndefined();
  });
});

describe('ouChain', () => {
  it('lists the OU and its parents up to the root', () => {
    expect(ouChain(TRIAGE_VIEW, 'ou-k3m9-pr0d0001').map((o) => o.name)).toEqual(['Prod', 'Workloads']);
  });

  it('is empty for the root', () => {
    expect(ouChain(TRIAGE_VIEW, 'r-k3m9')).toEqual([]);
  });
});
