/**
 * The inventory view at run time: triage, remediate and remediate-member read the account view from
 * the inventory table the security stack writes (constructs/security/inventory-table.ts), not from a
 * file in their bundle, so onboarding an account changes a table item and never function code.
 *
 * Layout (keys in `pk`): the head item `view` names the current version (`sha256`, `chunks`); the
 * view's JSON is stored in `view#<sha256>#<i>` for i < chunks (handlers/core/inventory-view.ts
 * `encodeInventoryView`). A deploy writes the new chunks before it moves the head and deletes the old
 * chunks after, and the reader checks the joined chunks against the head's hash, so a read never mixes
 * two versions.
 *
 * Caching: a container keeps the view and checks the head item (one small read) at most once per
 * `ttlSeconds`; the chunks are read again only when the head names another version. Failure: with a
 * view in hand, a failed refresh keeps it (logged, retried after `retryAfterFailureSeconds`), so a
 * DynamoDB hiccup never stops triage; without one (a cold container), the invocation fails and the
 * caller's retry (SQS redelivery, Lambda async retries) keeps the work.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  decodeInventoryView,
  type HandlerInventory,
  INVENTORY_HEAD_KEY,
  INVENTORY_TTL_SECONDS,
  inventoryChunkKey,
} from '../core/inventory-view';
import { ConfigurationError } from '../errors';

/** Where the current view comes from; each call may refresh, and returns the same object while unchanged. */
export interface InventorySource {
  current(): Promise<HandlerInventory>;
}

export interface InventorySourceOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** @default INVENTORY_TTL_SECONDS */
  readonly ttlSeconds?: number;
  /** @default 10 */
  readonly retryAfterFailureSeconds?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** Where a failed refresh that kept the previous view is reported. @default console.warn as one JSON line */
  readonly warn?: (message: string) => void;
}

/** A source reading the inventory table, cached per container (see the module comment). */
export function makeInventorySource(options: InventorySourceOptions): InventorySource {
  const { client, tableName } = options;
  const ttlMs = (options.ttlSeconds ?? INVENTORY_TTL_SECONDS) * 1000;
  const retryMs = (options.retryAfterFailureSeconds ?? 10) * 1000;
  const now = options.now ?? Date.now;
  const warn =
    options.warn ?? ((message: string) => console.warn(JSON.stringify({ level: 'warn', message, table: tableName })));
  const source = `inventory table ${tableName}`;

  let cached: { sha256: string; view: HandlerInventory } | undefined;
  let checkAfter = 0;
  let inFlight: Promise<HandlerInventory> | undefined;

  const refresh = async (): Promise<HandlerInventory> => {
    try {
      const head = await readHead(client, tableName, source);
      if (cached?.sha256 !== head.sha256) {
        const chunks = await readChunks(client, tableName, head, source);
        cached = { sha256: head.sha256, view: decodeInventoryView({ sha256: head.sha256, chunks }, source) };
      }
      checkAfter = now() + ttlMs;
      return cached.view;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (!cached) {
        throw new ConfigurationError(
          `cannot read the inventory view from the ${source}: ${reason}. The invocation fails and is retried; ` +
            'check that the security stack is deployed and that this function may read the table',
        );
      }
      warn(`kept the inventory view ${cached.sha256.slice(0, 12)}: refreshing it failed: ${reason}`);
      checkAfter = now() + retryMs;
      return cached.view;
    }
  };

  return {
    current() {
      if (cached && now() < checkAfter) return Promise.resolve(cached.view);
      inFlight ??= refresh().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}

/**
 * A handler rebuilt whenever the source returns another view (the view is part of what the handler
 * decides with: accounts, owners, the management account). Builds are cheap next to an invocation's
 * AWS calls and happen once per deploy of the inventory per container.
 */
export function rebuiltPerInventory<E, R>(
  source: InventorySource,
  build: (inventory: HandlerInventory) => (event: E) => Promise<R>,
): (event: E) => Promise<R> {
  let built: { inventory: HandlerInventory; handler: (event: E) => Promise<R> } | undefined;
  return async (event) => {
    const inventory = await source.current();
    if (built?.inventory !== inventory) built = { inventory, handler: build(inventory) };
    return built.handler(event);
  };
}

interface Head {
  readonly sha256: string;
  readonly chunks: number;
}

async function readHead(client: DynamoDBClient, tableName: string, source: string): Promise<Head> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: { pk: { S: INVENTORY_HEAD_KEY } }, ConsistentRead: true }),
  );
  if (!Item) throw new Error(`the ${source} has no '${INVENTORY_HEAD_KEY}' item (the security stack writes it)`);
  const sha256 = Item['sha256']?.S;
  const chunks = Number(Item['chunks']?.N);
  if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256) || !Number.isInteger(chunks) || chunks < 1) {
    throw new Error(`the ${source}'s '${INVENTORY_HEAD_KEY}' item needs sha256 (hex) and chunks (a number ≥ 1)`);
  }
  return { sha256, chunks };
}

/** BatchGetItem takes 100 keys a call and may leave some unprocessed; those are asked again. */
async function readChunks(client: DynamoDBClient, tableName: string, head: Head, source: string): Promise<string[]> {
  const bodies = new Map<string, string>();
  const keys = Array.from({ length: head.chunks }, (_, i) => inventoryChunkKey(head.sha256, i));
  let pending: Array<Record<string, AttributeValue>> = keys.map((pk) => ({ pk: { S: pk } }));
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === 5) throw new Error(`${pending.length} chunk(s) of the ${source} stayed unprocessed after 5 tries`);
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    const batch = pending.slice(0, 100);
    const out = await client.send(
      new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: batch, ConsistentRead: true } } }),
    );
    for (const item of out.Responses?.[tableName] ?? []) {
      const pk = item['pk']?.S;
      const body = item['body']?.S;
      if (pk !== undefined && body !== undefined) bodies.set(pk, body);
    }
    pending = [...(out.UnprocessedKeys?.[tableName]?.Keys ?? []), ...pending.slice(100)];
  }
  const missing = keys.filter((k) => !bodies.has(k));
  if (missing.length > 0) {
    throw new Error(
      `the ${source} lacks ${missing.length} chunk(s) of version ${head.sha256.slice(0, 12)} (first: ${missing[0]})`,
    );
  }
  return keys.map((k) => bodies.get(k)!);
}
