/**
 * Onboarding and offboarding as README describes them, on synthesized output:
 *  1. the account joins config/org.json (what `npm run org:sync` / `npm run onboard` write),
 *  2. `npm run synth`,
 *  3. deploy exactly the stacks that changed: security (the inventory table's items) and the new
 *     member stack (its forwarding rules and roles); no function's code changes.
 * Then the new account's events alert with its owner, read by the triage wiring from the inventory items
 * the synthesized security stack writes. Offboarding (member stack destroyed, account removed, synth,
 * security deployed) leaves no stack, rule, role or inventory entry naming the account.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { App } from '../framework/cdktf';
import { snapshotStacks } from '../build/synth-summary';
import type { OrgInventory } from '../config/inventory';
import { loadConfig, type VigilConfig } from '../config/load';
import { makeInventorySource, rebuiltPerInventory } from '../handlers/adapters/inventory-source';
import { makeTriageContext } from '../handlers/core/triage';
import { createHandler } from '../handlers/entrypoints/triage';
import { buildApp } from '../app';
import { CATALOG } from '../rules/catalog';
import { PREDICATES } from '../rules/predicates';
import { loadTriageEvent, sqsRecord } from './fixtures/triage';
import { serveInventoryTable } from './helpers/inventory-table';
import { FakeClock, FakeDedupeStore, FakeNotifier, FakeTags } from './helpers/triage-fakes';

type Json = Record<string, any>;

const NEW_ACCOUNT = '110000000013';
const base = loadConfig();
const prodOu = base.inventory.organizationalUnits.find((o) => o.name === 'Prod')!;
const onboarded: VigilConfig = {
  ...base,
  inventory: {
    ...base.inventory,
    accounts: [
      ...base.inventory.accounts,
      {
        id: NEW_ACCOUNT,
        name: 'payments-eu',
        email: 'aws-payments-eu@example.com',
        ou: prodOu.id,
        tags: { owner: 'payments-eu-team' },
      },
    ],
  } as OrgInventory,
};

/** `npm run synth` of `config` into a fresh folder (removed with the test file's temp root). */
function synth(config: VigilConfig): string {
  const outdir = mkdtempSync(join(tmpdir(), 'vigil-onboarding-'));
  buildApp(new App({ outdir, stackTraces: false }), config).synth();
  return outdir;
}
const stackJson = (outdir: string, id: string): Json =>
  JSON.parse(readFileSync(join(outdir, 'stacks', id, 'cdk.tf.json'), 'utf8'));

/** The inventory table's items exactly as the synthesized security stack writes them. */
function inventoryItemsOf(outdir: string): Map<string, Record<string, AttributeValue>> {
  const items = Object.values(stackJson(outdir, 'security')['resource']['aws_dynamodb_table_item'] as Json).map(
    (r) => JSON.parse(r['item']) as Record<string, AttributeValue>,
  );
  return new Map(items.map((i) => [i['pk']!.S!, i]));
}

/** Function name → hash of its code, from the synthesized security stack. */
function codeHashes(outdir: string): Record<string, string> {
  const fns = stackJson(outdir, 'security')['resource']['aws_lambda_function'] as Json;
  return Object.fromEntries(Object.values(fns).map((f) => [f['function_name'], f['source_code_hash']]));
}

/** An SQS message of a world-open SSH ingress made in `account`, as the central rule queues it. */
function worldOpenSshIn(account: string) {
  const event = JSON.parse(
    JSON.stringify(loadTriageEvent('sg-ingress-ssh-world')).replaceAll(
      loadTriageEvent('sg-ingress-ssh-world').account,
      account,
    ),
  );
  return sqsRecord(`m-${account}`, 'ec2-security-group-world-open-ingress', event);
}

/** The triage wiring of handlers/entrypoints/triage.ts over a table holding `items`, with fake channels. */
function triageOver(items: Map<string, Record<string, AttributeValue>>) {
  const dynamodb = mockClient(DynamoDBClient);
  serveInventoryTable(dynamodb, 'vigil-inventory', () => items);
  const notifier = new FakeNotifier();
  const clock = new FakeClock(Date.parse(loadTriageEvent('sg-ingress-ssh-world').time));
  const source = makeInventorySource({
    client: new DynamoDBClient({ region: 'eu-west-1' }),
    tableName: 'vigil-inventory',
  });
  const run = rebuiltPerInventory(source, (inventory) =>
    createHandler({
      context: makeTriageContext(inventory, CATALOG, PREDICATES, { repeatWindowSeconds: 900 }),
      store: new FakeDedupeStore(),
      tags: new FakeTags(),
      notifier,
      routing: { default: { slackWebhookRef: 'secretsmanager:vigil/slack/security' } },
      now: clock.now,
      write: () => undefined,
    }),
  );
  return { run, notifier, restore: () => dynamodb.restore() };
}

describe('onboarding an account (README: Onboarding)', () => {
  let before: string;
  let after: string;
  beforeAll(() => {
    before = synth(base);
    after = synth(onboarded);
  }, 120_000);

  it('changes exactly the security stack and adds the member stack', () => {
    const a = snapshotStacks(before);
    const b = snapshotStacks(after);
    const changed = [...b.keys()].filter((id) => a.get(id) !== b.get(id)).sort();
    expect(changed).toEqual(['member-110000000013', 'security']);
    expect([...a.keys()].filter((id) => !b.has(id))).toEqual([]);
  });

  it('needs no new function code: only the inventory items of the security stack differ', () => {
    expect(codeHashes(after)).toEqual(codeHashes(before));
    const items = (outdir: string) => Object.keys(stackJson(outdir, 'security')['resource']['aws_dynamodb_table_item']);
    expect(items(after)).not.toEqual(items(before));
    const withoutItems = (outdir: string) => {
      const { aws_dynamodb_table_item: _items, ...rest } = stackJson(outdir, 'security')['resource'];
      return rest;
    };
    expect(withoutItems(after)).toEqual(withoutItems(before));
  });

  it('deploys forwarding rules to the central bus in every region of the new account', () => {
    const member = stackJson(after, 'member-110000000013');
    const targets = Object.values(member['resource']['aws_cloudwatch_event_target'] as Json).map((t) => t['arn']);
    expect(new Set(targets)).toEqual(new Set(['arn:aws:events:eu-west-1:110000000003:event-bus/vigil-security']));
    const rules = Object.values(member['resource']['aws_cloudwatch_event_rule'] as Json).flatMap((r) =>
      Object.values(r['for_each'] as Json),
    );
    expect(new Set(rules.map((r) => r['region']))).toEqual(new Set(base.inventory.regions));
  });

  it("alerts the new account's events with its owner once the security stack is deployed", async () => {
    const beforeDeploy = triageOver(inventoryItemsOf(before));
    await beforeDeploy.run({ Records: [worldOpenSshIn(NEW_ACCOUNT)] });
    beforeDeploy.restore();
    // Before: the event still alerts (never dropped), to the default owner, saying the account is not onboarded.
    expect(beforeDeploy.notifier.sent).toHaveLength(1);
    expect(beforeDeploy.notifier.sent[0]!.alert).toMatchObject({ owner: 'security-team' });
    expect(beforeDeploy.notifier.sent[0]!.alert.detection.rationale).toMatch(/not onboarded/i);

    const afterDeploy = triageOver(inventoryItemsOf(after));
    await afterDeploy.run({ Records: [worldOpenSshIn(NEW_ACCOUNT)] });
    afterDeploy.restore();
    expect(afterDeploy.notifier.sent).toHaveLength(1);
    expect(afterDeploy.notifier.sent[0]!.alert).toMatchObject({
      detection: { id: 'ec2-security-group-world-open-ingress' },
      event: { account: { id: NEW_ACCOUNT, name: 'payments-eu', ouName: 'Workloads/Prod', environment: 'prod' } },
      owner: 'payments-eu-team',
    });
    expect(afterDeploy.notifier.sent[0]!.alert.detection.rationale).not.toMatch(/not onboarded/i);
  });

  describe('offboarding it again (README: Offboarding)', () => {
    let offboarded: string;
    beforeAll(() => {
      offboarded = synth(base);
    }, 120_000);

    it('leaves no stack, rule, role or inventory entry naming the account', () => {
      expect(existsSync(join(offboarded, 'stacks', 'member-110000000013'))).toBe(false);
      for (const id of readdirSync(join(offboarded, 'stacks'))) {
        expect({
          id,
          names: readFileSync(join(offboarded, 'stacks', id, 'cdk.tf.json'), 'utf8').includes(NEW_ACCOUNT),
        }).toEqual({
          id,
          names: false,
        });
      }
      expect(inventoryItemsOf(offboarded)).toEqual(inventoryItemsOf(before));
    });
  });
});
