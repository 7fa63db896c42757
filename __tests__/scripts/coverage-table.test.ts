/**
 * `npm run coverage` on the live table: the DynamoDB source (aws-sdk-client-mock), what the command
 * reads by default (the table named by config, in the home region), and the errors without credentials.
 */
import { gzipSync } from 'node:zlib';
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OrgInventory } from '../../config/inventory';
import { main } from '../../scripts/coverage';
import { CoverageExportError } from '../../scripts/coverage-map/export';
import { tableSource } from '../../scripts/coverage-map/table';

const ROOT = resolve(__dirname, '..', '..');
const dynamodb = mockClient(DynamoDBClient);
const noCredentials = () =>
  Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
beforeEach(() => dynamodb.reset());

const cell = (accountId: string, region: string) => ({
  pk: { S: `cell#${accountId}#${region}#regional` },
  accountId: { S: accountId },
  region: { S: region },
  path: { S: 'regional' },
  eventTime: { S: '2026-12-04T09:58:00Z' },
  arrivedAt: { S: '2026-12-04T09:58:40.000Z' },
});

describe('tableSource', () => {
  it('reads every heartbeat cell and the coverage state from the table', async () => {
    dynamodb
      .on(ScanCommand)
      .resolvesOnce({ Items: [cell('110000000001', 'eu-west-1')], LastEvaluatedKey: { pk: { S: 'x' } } })
      .resolves({ Items: [] });
    const state = {
      version: 1,
      evaluatedAt: '2026-12-04T09:55:00.000Z',
      cells: {},
      pipeline: { down: false, allSilentStreak: 0, liveStreak: 0 },
    };
    dynamodb.on(GetItemCommand).resolves({
      Item: {
        pk: { S: 'state' },
        rev: { N: '3' },
        body: { B: gzipSync(JSON.stringify({ state, notified: [], sent: [] })) },
      },
    });
    const snapshot = await tableSource(
      'vigil-coverage',
      'eu-west-1',
      new DynamoDBClient({ region: 'eu-west-1' }),
    ).read();

    expect(snapshot.heartbeats).toEqual([
      {
        accountId: '110000000001',
        region: 'eu-west-1',
        path: 'regional',
        eventTime: '2026-12-04T09:58:00Z',
        arrivedAt: '2026-12-04T09:58:40.000Z',
      },
    ]);
    expect(snapshot.previous).toEqual(state);
    expect(dynamodb.commandCalls(ScanCommand).every((c) => c.args[0].input.TableName === 'vigil-coverage')).toBe(true);
  });

  it("reads triage's sightings and the cached opt-in regions, as the coverage function does", async () => {
    dynamodb.on(ScanCommand).resolves({
      Items: [
        cell('110000000001', 'eu-west-1'),
        { pk: { S: 'seen#999999999999#eu-west-1' }, accountId: { S: '999999999999' }, region: { S: 'eu-west-1' } },
        {
          pk: { S: 'regions#110000000001' },
          accountId: { S: '110000000001' },
          regions: { L: [{ S: 'me-south-1' }] },
          checkedAt: { S: '2026-12-04T06:00:00.000Z' },
        },
      ],
    });
    dynamodb.on(GetItemCommand).resolves({});
    const snapshot = await tableSource(
      'vigil-coverage',
      'eu-west-1',
      new DynamoDBClient({ region: 'eu-west-1' }),
    ).read();

    expect(snapshot.seenAccountIds).toEqual(['999999999999']);
    expect(snapshot.optInRegions).toEqual({ '110000000001': ['me-south-1'] });
    expect(snapshot.previous).toBeUndefined();
  });

  it('says to sign in or use --file when there are no credentials', async () => {
    dynamodb.on(ScanCommand).rejects(noCredentials());
    dynamodb.on(GetItemCommand).resolves({});
    const read = tableSource('vigil-coverage', 'eu-west-1', new DynamoDBClient({ region: 'eu-west-1' })).read();

    await expect(read).rejects.toThrow(CoverageExportError);
    await expect(read).rejects.toThrow(/no AWS credentials .*--file <export.json>/);
  });

  it('names the permissions it needs when the table refuses', async () => {
    dynamodb.on(ScanCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    dynamodb.on(GetItemCommand).resolves({});
    const read = tableSource('vigil-coverage', 'eu-west-1', new DynamoDBClient({ region: 'eu-west-1' })).read();

    await expect(read).rejects.toThrow(/AccessDeniedException: not authorized\. The caller needs dynamodb:Scan/);
  });
});

describe('npm run coverage without --file', () => {
  it('reads the live table named by config, in the home region, and exits 2 with the reason when it cannot', async () => {
    const org = JSON.parse(readFileSync(join(ROOT, 'config', 'org.json'), 'utf8')) as OrgInventory;
    const errors: string[] = [];
    dynamodb.on(ScanCommand).rejects(noCredentials());
    dynamodb.on(GetItemCommand).resolves({});
    const code = await main([], { stdout: () => undefined, stderr: (line) => errors.push(line), cwd: ROOT });

    expect(code).toBe(2);
    expect(errors).toEqual([
      expect.stringContaining(
        `coverage: cannot read the table ${org.namePrefix}-coverage (${org.homeRegion}): no AWS credentials`,
      ),
    ]);
    expect(dynamodb.commandCalls(ScanCommand)[0]!.args[0].input.TableName).toBe(`${org.namePrefix}-coverage`);
  });
});
