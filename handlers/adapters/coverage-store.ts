/**
 * The coverage table (`<prefix>-coverage`, partition key `pk`), as the coverage function sees it:
 *
 * - cell items, written by triage, one per heartbeat cell: `pk = cell#<accountId>#<region>#<path>` with
 *   accountId, region, path (`regional` | `global`), eventTime, arrivedAt (ISO 8601), eventId, expiresAt.
 *   Read with a Scan (every page; parallel segments). Sizing: 1,000 accounts × 17 regions plus 1,000 global
 *   paths is 18,000 items of ~200 bytes, about 3.6 MB: four 1 MB pages, read by `segments` workers at once,
 *   projected to the fields the evaluation needs, eventually consistent (half the read units; a heartbeat
 *   written a second ago changes nothing at a 5-minute rate).
 * - the `state` item, owned by the coverage function: `rev` (N, the round), `body` (B, gzip of the JSON
 *   `{ state, notified, sent }`: the state holds one entry per alerted or streaking cell, which in a wide
 *   outage would approach DynamoDB's 400 KB item limit as plain JSON), and while a run sends, `runId`
 *   and `leaseUntil` (N, epoch ms). Every write is a PutItem conditional on the round and the lease
 *   (see {@link CoverageStore.put}).
 * - sighting items, written by triage (adapters/sighting-store.ts): `pk = seen#<accountId>#<region>`, an
 *   account the account view lacks sent an event from that region.
 * - opt-in region items, owned by the coverage function: `pk = regions#<accountId>` with `regions` (a list
 *   of region names, possibly empty) and `checkedAt`, the cache of Account Management `ListRegions`.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { type HeartbeatRecord, parseCoverageState, parseHeartbeatRecord } from '../core/coverage';
import type { CoverageCells, CoverageRecord, CoverageStore, OptInRegionsEntry } from '../core/flows/coverage-ports';
import { isRecord } from '../core/lambda-io';
import { ConfigurationError } from '../errors';
import { SIGHTING_PREFIX } from './sighting-store';

/** Partition key of the state item. */
export const COVERAGE_STATE_KEY = 'state';

/** Prefix of the cell items' partition keys. */
export const COVERAGE_CELL_PREFIX = 'cell#';

/** Prefix of the opt-in region items' partition keys. */
export const OPT_IN_REGIONS_PREFIX = 'regions#';

/** Days an opt-in region item outlives its last check (an account that left the inventory is forgotten). */
export const OPT_IN_REGIONS_RETENTION_DAYS = 30;

export interface CoverageStoreOptions {
  /** Parallel Scan segments. @default 4 */
  readonly segments?: number;
}

const S = (value: string): AttributeValue => ({ S: value });

/** The coverage store over `tableName`. */
export function makeCoverageStore(
  client: DynamoDBClient,
  tableName: string,
  options: CoverageStoreOptions = {},
): CoverageStore {
  const segments = options.segments ?? 4;

  type Into = {
    heartbeats: HeartbeatRecord[];
    unreadable: string[];
    seen: Set<string>;
    optIn: Record<string, OptInRegionsEntry>;
  };
  const scanSegment = async (segment: number, into: Into) => {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: tableName,
          Segment: segment,
          TotalSegments: segments,
          FilterExpression: 'begins_with(pk, :cell) OR begins_with(pk, :seen) OR begins_with(pk, :regions)',
          ProjectionExpression: 'pk, accountId, #region, #path, eventTime, arrivedAt, regions, checkedAt',
          ExpressionAttributeNames: { '#region': 'region', '#path': 'path' },
          ExpressionAttributeValues: {
            ':cell': S(COVERAGE_CELL_PREFIX),
            ':seen': S(SIGHTING_PREFIX),
            ':regions': S(OPT_IN_REGIONS_PREFIX),
          },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const pk = item['pk']?.S ?? '';
        if (pk.startsWith(SIGHTING_PREFIX)) {
          const accountId = item['accountId']?.S;
          if (accountId && /^\d{12}$/.test(accountId)) into.seen.add(accountId);
          else into.unreadable.push(`${pk}: accountId: expected a 12-digit account id`);
          continue;
        }
        if (pk.startsWith(OPT_IN_REGIONS_PREFIX)) {
          const entry = optInEntryOf(item);
          if (typeof entry === 'string') into.unreadable.push(`${pk}: ${entry}`);
          else into.optIn[entry.accountId] = entry;
          continue;
        }
        const parsed = parseHeartbeatRecord({
          accountId: item['accountId']?.S,
          region: item['region']?.S,
          path: item['path']?.S,
          eventTime: item['eventTime']?.S,
          arrivedAt: item['arrivedAt']?.S,
        });
        if ('record' in parsed) into.heartbeats.push(parsed.record);
        else into.unreadable.push(`${item['pk']?.S ?? '(no pk)'}: ${parsed.problem}`);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  };

  return {
    async cells(): Promise<CoverageCells> {
      const into: Into = { heartbeats: [], unreadable: [], seen: new Set(), optIn: {} };
      await Promise.all(Array.from({ length: segments }, (_, i) => scanSegment(i, into)));
      // Segments finish in any order: sort, so a run's input does not depend on timing.
      into.heartbeats.sort((a, b) =>
        `${a.accountId}#${a.region}#${a.path}` < `${b.accountId}#${b.region}#${b.path}` ? -1 : 1,
      );
      return {
        heartbeats: into.heartbeats,
        unreadable: into.unreadable.sort(),
        seenAccountIds: [...into.seen].sort(),
        optInRegions: Object.fromEntries(Object.entries(into.optIn).sort(([a], [b]) => (a < b ? -1 : 1))),
      };
    },

    async putOptInRegions(entry) {
      const checkedMs = Date.parse(entry.checkedAt);
      if (!Number.isFinite(checkedMs)) throw new Error(`opt-in regions of ${entry.accountId}: bad checkedAt`);
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            pk: S(`${OPT_IN_REGIONS_PREFIX}${entry.accountId}`),
            accountId: S(entry.accountId),
            regions: { L: [...entry.regions].sort().map(S) },
            checkedAt: S(new Date(checkedMs).toISOString()),
            expiresAt: { N: String(Math.floor(checkedMs / 1000) + OPT_IN_REGIONS_RETENTION_DAYS * 86_400) },
          },
        }),
      );
    },

    async load(): Promise<CoverageRecord> {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: S(COVERAGE_STATE_KEY) }, ConsistentRead: true }),
      );
      if (!Item) return { rev: 0, notified: [], sent: [] };
      return recordOf(Item, tableName);
    },

    async put(next, expectedRev, runId, nowMs) {
      const leaseFree = '(attribute_not_exists(#leaseUntil) OR #leaseUntil < :now OR #runId = :runId)';
      const sameRound = `(#rev = :rev AND ${leaseFree})`;
      const body = gzipSync(
        JSON.stringify({ ...(next.state ? { state: next.state } : {}), notified: next.notified, sent: next.sent }),
      );
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: S(COVERAGE_STATE_KEY),
              rev: { N: String(next.rev) },
              body: { B: body },
              ...(next.lease ? { runId: S(next.lease.runId), leaseUntil: { N: String(next.lease.until) } } : {}),
            },
            ConditionExpression: expectedRev === 0 ? `attribute_not_exists(pk) OR ${sameRound}` : sameRound,
            ExpressionAttributeNames: { '#rev': 'rev', '#leaseUntil': 'leaseUntil', '#runId': 'runId' },
            ExpressionAttributeValues: {
              ':rev': { N: String(expectedRev) },
              ':now': { N: String(nowMs) },
              ':runId': S(runId),
            },
          }),
        );
        return true;
      } catch (err) {
        if ((err as { name?: string } | null)?.name === 'ConditionalCheckFailedException') return false;
        throw err;
      }
    },
  };
}

/** The cached opt-in regions an item holds, or what is wrong with it. */
function optInEntryOf(item: Record<string, AttributeValue>): OptInRegionsEntry | string {
  const accountId = item['accountId']?.S;
  if (!accountId || !/^\d{12}$/.test(accountId)) return 'accountId: expected a 12-digit account id';
  const list = item['regions']?.L;
  if (!list || list.some((r) => typeof r.S !== 'string')) return 'regions: expected a list of region names';
  const checkedAt = item['checkedAt']?.S;
  if (!checkedAt || !Number.isFinite(Date.parse(checkedAt))) return 'checkedAt: expected an ISO 8601 time';
  return { accountId, regions: list.map((r) => r.S as string).sort(), checkedAt };
}

/** The record a stored state item holds. @throws ConfigurationError when it cannot be read */
function recordOf(item: Record<string, AttributeValue>, tableName: string): CoverageRecord {
  const where = `the '${COVERAGE_STATE_KEY}' item of ${tableName}`;
  const fail = (why: string) =>
    new ConfigurationError(
      `${where} cannot be read (${why}). Nothing is sent until it is fixed; deleting the item starts the ` +
        'coverage map over (every silent cell alerts again once).',
    );
  const rev = Number(item['rev']?.N);
  if (!Number.isInteger(rev) || rev < 0) throw fail('rev: expected a whole number');
  const raw = item['body']?.B;
  if (!raw) throw fail('body: expected gzip-compressed JSON');
  let body: unknown;
  try {
    body = JSON.parse(gunzipSync(raw).toString('utf8'));
  } catch (err) {
    throw fail(`body: ${(err as Error).message}`);
  }
  if (!isRecord(body)) throw fail('body: expected an object');
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  let state: CoverageRecord['state'];
  if (body['state'] !== undefined) {
    const parsed = parseCoverageState(body['state']);
    if ('problem' in parsed) throw fail(`state: ${parsed.problem}`);
    state = parsed.state;
  }
  const runId = item['runId']?.S;
  const until = Number(item['leaseUntil']?.N);
  return {
    rev,
    ...(state ? { state } : {}),
    notified: strings(body['notified']),
    sent: strings(body['sent']),
    ...(runId && Number.isFinite(until) ? { lease: { runId, until } } : {}),
  };
}
