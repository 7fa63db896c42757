import { BatchGetItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { makeInventorySource, rebuiltPerInventory } from '../../../handlers/adapters/inventory-source';
import {
  decodeInventoryView,
  encodeInventoryView,
  type HandlerInventory,
  INVENTORY_CHUNK_BYTES,
  toHandlerInventory,
} from '../../../handlers/core/inventory-view';
import { ConfigurationError } from '../../../handlers/errors';
import { TEST_INVENTORY } from '../../fixtures/inventory';
import { type Items, inventoryItems, serveInventoryTable } from '../../helpers/inventory-table';

const TABLE = 'vigil-inventory';
const dynamodb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-west-1' });

/** TEST_INVENTORY with one more account, as after onboarding it. */
const ONBOARDED = {
  ...TEST_INVENTORY,
  accounts: [
    ...TEST_INVENTORY.accounts,
    {
      id: '999900000001',
      name: 'new-payments',
      email: 'n@example.com',
      environment: 'prod' as const,
      ou: TEST_INVENTORY.accounts[0]!.ou,
      tags: { owner: 'payments-team' },
    },
  ],
};

let items: Items;
let clock: number;
let warnings: string[];
const source = (ttlSeconds = 60) =>
  makeInventorySource({ client, tableName: TABLE, ttlSeconds, now: () => clock, warn: (m) => warnings.push(m) });

beforeEach(() => {
  dynamodb.reset();
  items = inventoryItems(TEST_INVENTORY);
  clock = 1_000_000;
  warnings = [];
  serveInventoryTable(dynamodb, TABLE, () => items);
});

describe('encodeInventoryView / decodeInventoryView', () => {
  const view = toHandlerInventory(TEST_INVENTORY);

  it('round-trips a view, in one chunk when it is small', () => {
    const encoded = encodeInventoryView(view);
    expect(encoded.chunks).toHaveLength(1);
    expect(encoded.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(decodeInventoryView(encoded, 'table t')).toEqual(view);
  });

  it('splits on character boundaries, never inside a multi-byte character', () => {
    const named: HandlerInventory = {
      ...view,
      defaultOwner: 'équipe-sécurité-🔐'.repeat(40),
    };
    const encoded = encodeInventoryView(named, 7);
    expect(encoded.chunks.length).toBeGreaterThan(100);
    expect(encoded.chunks.every((c) => Buffer.byteLength(c, 'utf8') <= 7 && !c.includes('\uFFFD'))).toBe(true);
    expect(decodeInventoryView(encoded, 'table t')).toEqual(named);
  });

  it('keeps a 5,000-account view within the item limit, in a handful of chunks', () => {
    const big: HandlerInventory = {
      ...view,
      accounts: Object.fromEntries(
        Array.from({ length: 5000 }, (_, i) => [
          String(200000000000 + i),
          {
            name: `workload-${i}`,
            ouId: 'ou-abcd-11111111',
            ouPath: 'Workloads/Prod',
            environment: 'prod',
            tags: { owner: `team-${i % 40}`, 'cost-center': `cc-${i}` },
            regions: ['eu-central-1', 'eu-west-1', 'us-east-1', 'us-west-2'],
          },
        ]),
      ),
    };
    const encoded = encodeInventoryView(big);
    expect(encoded.chunks.length).toBeGreaterThan(1);
    expect(encoded.chunks.length).toBeLessThan(10);
    expect(Math.max(...encoded.chunks.map((c) => Buffer.byteLength(c, 'utf8')))).toBeLessThanOrEqual(
      INVENTORY_CHUNK_BYTES,
    );
    expect(Object.keys(decodeInventoryView(encoded, 'table t').accounts)).toHaveLength(5000);
  });

  it('refuses chunks that do not hash to the head (a torn or edited read), naming the table', () => {
    const encoded = encodeInventoryView(view);
    const torn = { ...encoded, chunks: [encoded.chunks[0]!.replace('"security-team"', '"attacker"')] };
    expect(() => decodeInventoryView(torn, 'inventory table vigil-inventory')).toThrow(
      /inventory table vigil-inventory: the inventory chunks hash to [0-9a-f]{64}, not [0-9a-f]{64}/,
    );
  });
});

describe('makeInventorySource', () => {
  it('reads the view the security stack wrote', async () => {
    const view = await source().current();
    expect(view).toEqual(toHandlerInventory(TEST_INVENTORY));
  });

  it('reads the head only once per TTL, and the chunks only when the head names another view', async () => {
    const s = source(60);
    const first = await s.current();
    await s.current();
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(1);
    clock += 61_000;
    expect(await s.current()).toBe(first);
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(2);
    expect(dynamodb.commandCalls(BatchGetItemCommand)).toHaveLength(1);
  });

  it('sees an onboarded account after the next check, without new code', async () => {
    const s = source(60);
    expect(Object.keys((await s.current()).accounts)).not.toContain('999900000001');
    items = inventoryItems(ONBOARDED);
    clock += 61_000;
    expect((await s.current()).accounts['999900000001']).toMatchObject({
      name: 'new-payments',
      tags: { owner: 'payments-team' },
    });
  });

  it('shares one refresh between concurrent callers', async () => {
    const s = source();
    const [a, b, c] = await Promise.all([s.current(), s.current(), s.current()]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(1);
  });

  it('keeps the view it has when a refresh fails, says so, and tries again sooner', async () => {
    const s = source(60);
    const first = await s.current();
    dynamodb.on(GetItemCommand, { TableName: TABLE }).rejects(new Error('ThrottlingException: slow down'));
    clock += 61_000;
    expect(await s.current()).toBe(first);
    expect(warnings).toEqual([
      expect.stringMatching(/^kept the inventory view [0-9a-f]{12}: refreshing it failed: ThrottlingException/),
    ]);
    clock += 11_000;
    await s.current();
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(3);
  });

  it('keeps the view it has when a deploy is half applied (head moved, chunks not there yet)', async () => {
    const s = source(60);
    const first = await s.current();
    const next = inventoryItems(ONBOARDED);
    items = new Map([...items, ['view', next.get('view')!]]);
    clock += 61_000;
    expect(await s.current()).toBe(first);
    expect(warnings).toEqual([expect.stringContaining('lacks 1 chunk(s) of version')]);
  });

  it('fails a cold start it cannot serve, naming the table and the fix', async () => {
    items = new Map();
    await expect(source().current()).rejects.toThrow(ConfigurationError);
    await expect(source().current()).rejects.toThrow(
      /cannot read the inventory view from the inventory table vigil-inventory: the inventory table vigil-inventory has no 'view' item .*check that the security stack is deployed/,
    );
  });

  it('refuses a head item without a hash or chunk count', async () => {
    items = new Map([['view', { pk: { S: 'view' }, sha256: { S: 'not-a-hash' }, chunks: { N: '1' } }]]);
    await expect(source().current()).rejects.toThrow(/'view' item needs sha256 \(hex\) and chunks/);
  });

  it('asks again for chunks DynamoDB left unprocessed', async () => {
    const chunkKey = [...items.keys()].find((k) => k !== 'view')!;
    dynamodb
      .on(BatchGetItemCommand)
      .resolvesOnce({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [{ pk: { S: chunkKey } }] } } })
      .resolves({ Responses: { [TABLE]: [items.get(chunkKey)!] } });
    expect(await source().current()).toEqual(toHandlerInventory(TEST_INVENTORY));
    expect(dynamodb.commandCalls(BatchGetItemCommand)).toHaveLength(2);
  });
});

describe('rebuiltPerInventory', () => {
  it('builds once per view and again when the view changes', async () => {
    const s = source(60);
    const builds: number[] = [];
    const handler = rebuiltPerInventory(s, (inv) => {
      builds.push(Object.keys(inv.accounts).length);
      return async (event: string) => `${event}:${Object.keys(inv.accounts).length}`;
    });
    const n = TEST_INVENTORY.accounts.length;
    expect(await handler('a')).toBe(`a:${n}`);
    expect(await handler('b')).toBe(`b:${n}`);
    items = inventoryItems(ONBOARDED);
    clock += 61_000;
    expect(await handler('c')).toBe(`c:${n + 1}`);
    expect(builds).toEqual([n, n + 1]);
  });
});
