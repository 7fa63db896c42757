/**
 * The run-time inventory at org scale: how big the account view of 1,000 and 5,000 accounts is in the
 * inventory table (bytes, DynamoDB items), and what a container pays when a deploy changes it: reading
 * the chunks back through the real adapter (DynamoDB answered in memory, so this is the CPU part:
 * joining, hashing, JSON.parse, shape check) and rebuilding the triage context. A check that finds the
 * view unchanged reads one small head item and rebuilds nothing.
 *
 *   npx tsx bench/inventory.bench.ts
 */
import { BatchGetItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { OrgInventory } from '../config/inventory';
import { makeInventorySource } from '../handlers/adapters/inventory-source';
import { makeTriageContext } from '../handlers/core/triage';
import { inventoryTableItems } from '../handlers/functions/published';
import { CATALOG } from '../rules/catalog';
import { PREDICATES } from '../rules/predicates';

const RUNS = 7;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function org(accounts: number): OrgInventory {
  const ous = Array.from({ length: 20 }, (_, i) => ({
    id: `ou-abcd-${String(i).padStart(8, '0')}`,
    name: `Team${i}`,
    parentId: 'r-abcd',
    environment: (['prod', 'non-prod', 'sandbox'] as const)[i % 3],
    defaultOwner: `team-${i}`,
  }));
  return {
    organizationId: 'o-abcdefghij',
    rootId: 'r-abcd',
    managementAccountId: '200000000000',
    logArchiveAccountId: '200000000001',
    securityAccountId: '200000000002',
    homeRegion: 'eu-west-1',
    regions: ['eu-west-1', 'us-east-1'],
    deployRoleName: 'vigil-deploy',
    namePrefix: 'vigil',
    defaultOwner: 'security-team',
    backend: { type: 'local' },
    scpTargets: ['r-abcd'],
    organizationalUnits: ous,
    accounts: Array.from({ length: accounts }, (_, i) => ({
      id: String(200000000000 + i),
      name: `workload-${i}-${['payments', 'search', 'identity', 'data'][i % 4]}`,
      email: `aws+${i}@example.com`,
      ou: ous[i % ous.length]!.id,
      tags: { owner: `team-${i % 60}`, 'cost-center': `cc-${1000 + (i % 300)}`, project: `project-${i % 150}` },
    })),
  } as unknown as OrgInventory;
}

async function main(): Promise<void> {
  // The SDK's Node-version notice (its releases after early January 2027 need Node ≥ 22) is not a figure.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
  console.log(`inventory table at scale; times = median of ${RUNS} runs`);
  console.log('accounts  view (KB)  items  read + decode (ms)  triage context (ms)  unchanged check (ms)');
  const dynamodb = mockClient(DynamoDBClient);
  for (const accounts of [1000, 5000]) {
    const inv = org(accounts);
    const { chunks, head } = inventoryTableItems(inv);
    const items = new Map([...chunks, head].map((i) => [i.pk, JSON.parse(i.item)]));
    dynamodb.reset();
    dynamodb.on(GetItemCommand).callsFake((input) => ({ Item: items.get(input.Key.pk.S) }));
    dynamodb.on(BatchGetItemCommand).callsFake((input) => ({
      Responses: { t: input.RequestItems.t.Keys.map((k: { pk: { S: string } }) => items.get(k.pk.S)) },
    }));
    const bytes = chunks.reduce((n, c) => n + Buffer.byteLength(c.item, 'utf8'), 0);
    const reads: number[] = [];
    const builds: number[] = [];
    const checks: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      let clock = 0;
      const source = makeInventorySource({
        client: new DynamoDBClient({ region: 'eu-west-1' }),
        tableName: 't',
        now: () => clock,
      });
      let t = performance.now();
      const view = await source.current();
      reads.push(performance.now() - t);
      t = performance.now();
      makeTriageContext(view, CATALOG, PREDICATES);
      builds.push(performance.now() - t);
      clock += 61_000;
      t = performance.now();
      await source.current();
      checks.push(performance.now() - t);
    }
    console.log(
      `${String(accounts).padEnd(8)}  ${(bytes / 1024).toFixed(0).padStart(9)}  ${String(chunks.length + 1).padStart(5)}  ` +
        `${median(reads).toFixed(1).padStart(18)}  ${median(builds).toFixed(2).padStart(19)}  ${median(checks).toFixed(2).padStart(20)}`,
    );
  }
  dynamodb.restore();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
