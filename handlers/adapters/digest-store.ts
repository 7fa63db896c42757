/**
 * The digest store: change-monitor events (class `change`, severity `info`) that triage records instead
 * of alerting, read back once a day by the digest function. One DynamoDB table, partition key `day`
 * (`YYYY-MM-DD`, UTC day of the CloudTrail eventTime), sort key `entry`, TTL attribute `expiresAt` (the
 * day + 14 days, epoch seconds). Two kinds of items, told apart by their `kind` attribute:
 *
 * - `entry`, sort key `<owner>#<detectionId>#<eventId>`: one event. A plain PutItem, so a redelivered
 *   event overwrites its own item and counts once.
 * - `sent`, sort key `sent#<channel>#<owner>`: the owner's digest of that day went out on that channel.
 *   A conditional PutItem (the item must not exist), so a second writer learns it was already sent.
 */
import { type AttributeValue, type DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DIGEST_CHANNELS, type DigestChannel, type DigestDay, type DigestEntry } from '../core/flows/digest-ports';

/** How long a day stays in the table: the digest reads it the next morning; the rest is for a re-send by hand. */
export const DIGEST_RETENTION_DAYS = 14;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const S = (value: string): AttributeValue => ({ S: value });

/** `expiresAt` of a day's items: midnight UTC of `day` plus {@link DIGEST_RETENTION_DAYS}. */
export function digestExpiresAt(day: string): number {
  const start = Date.parse(`${day}T00:00:00Z`);
  if (!DAY.test(day) || Number.isNaN(start)) throw new Error(`digest day must be YYYY-MM-DD, got '${day}'`);
  return Math.floor(start / 1000) + DIGEST_RETENTION_DAYS * 86_400;
}

/** The digest store over `tableName`: the triage flow's DigestLog, and the digest flow's reader and marker. */
export function makeDigestStore(client: DynamoDBClient, tableName: string) {
  return {
    /** Adds the entry to its day and owner; idempotent per event (same key, same item). */
    async record(entry: DigestEntry): Promise<void> {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            day: S(entry.day),
            entry: S(`${entry.owner}#${entry.detectionId}#${entry.eventId}`),
            kind: S('entry'),
            owner: S(entry.owner),
            detectionId: S(entry.detectionId),
            title: S(entry.title),
            accountId: S(entry.accountId),
            accountName: S(entry.accountName),
            region: S(entry.region),
            eventId: S(entry.eventId),
            eventName: S(entry.eventName),
            eventTime: S(entry.eventTime),
            principal: S(entry.principal),
            resources: { L: entry.resources.map(S) },
            expiresAt: { N: String(digestExpiresAt(entry.day)) },
          },
        }),
      );
    },

    /** Every item of `day` (all pages): the entries, the channels already sent per owner, what could not be read. */
    async entriesOf(day: string): Promise<DigestDay> {
      const entries: DigestEntry[] = [];
      const sent = new Map<string, Set<DigestChannel>>();
      const unreadable: string[] = [];
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: '#day = :day',
            ExpressionAttributeNames: { '#day': 'day' },
            ExpressionAttributeValues: { ':day': S(day) },
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          const kind = text(item, 'kind');
          const owner = text(item, 'owner');
          const channel = text(item, 'channel') as DigestChannel | undefined;
          if (kind === 'sent' && owner !== undefined && channel && DIGEST_CHANNELS.includes(channel)) {
            sent.set(owner, (sent.get(owner) ?? new Set()).add(channel));
            continue;
          }
          const entry = kind === 'entry' ? entryOf(item, day) : undefined;
          if (entry) entries.push(entry);
          else unreadable.push(text(item, 'entry') ?? '(no sort key)');
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return { entries, sent, unreadable };
    },

    /** Records that `channel` of `owner`'s digest for `day` went out; false when it already was. */
    async markSent(day: string, owner: string, channel: DigestChannel): Promise<boolean> {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              day: S(day),
              entry: S(`sent#${channel}#${owner}`),
              kind: S('sent'),
              owner: S(owner),
              channel: S(channel),
              expiresAt: { N: String(digestExpiresAt(day)) },
            },
            ConditionExpression: 'attribute_not_exists(#entry)',
            ExpressionAttributeNames: { '#entry': 'entry' },
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

function text(item: Record<string, AttributeValue>, name: string): string | undefined {
  const v = item[name];
  return v && 'S' in v && typeof v.S === 'string' ? v.S : undefined;
}

const REQUIRED = [
  'owner',
  'detectionId',
  'title',
  'accountId',
  'accountName',
  'region',
  'eventId',
  'eventName',
  'eventTime',
  'principal',
] as const;

/** The entry an item holds, or undefined when a field is missing. */
function entryOf(item: Record<string, AttributeValue>, day: string): DigestEntry | undefined {
  const fields: Partial<Record<(typeof REQUIRED)[number], string>> = {};
  for (const name of REQUIRED) {
    const v = text(item, name);
    if (v === undefined) return undefined;
    fields[name] = v;
  }
  const list = item['resources'];
  const resources =
    list && 'L' in list && Array.isArray(list.L)
      ? list.L.flatMap((r) => (r && 'S' in r && typeof r.S === 'string' ? [r.S] : []))
      : [];
  return { day, ...(fields as Record<(typeof REQUIRED)[number], string>), resources };
}
