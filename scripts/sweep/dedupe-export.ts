/**
 * Reads an export of the triage state table (config/naming.ts `tableNames().triageState`, the dedupe store of
 * handlers/adapters/dedupe-store.ts) for `npm run sweep -- --dedupe <export>`. The event items (`event#<detection>#
 * <eventID>`) tell the backfill what real time (or the deployed sweep) already handled. Accepted, as a user can
 * produce them:
 *
 * - the JSON of `aws dynamodb scan --output json` (`{"Items": [{"pk": {"S": …}, …}], "Count": …}`; several pages
 *   concatenated, as `--no-paginate` loops write them, are read too), plain or gzipped;
 * - a DynamoDB "export to S3" in the DYNAMODB_JSON format, synced to a folder (DynamoDB developer guide, "DynamoDB
 *   table export output format": `AWSDynamoDB/<ExportId>/manifest-summary.json`, `manifest-files.json` naming the
 *   `data/*.json.gz` files, one `{"Item": {…}}` per line): the folder of the export, or any folder above it; one of
 *   its data files on its own is read too. ION exports are refused with the fix.
 *
 * Pure but for reading the files; problems are thrown as {@link DedupeExportError}, naming the problem and the fix.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { EventStatus } from '../../handlers/core/flows/triage-ports';

/** One event item of the export. */
export interface ExportedEvent {
  /** The dedupe key, `event#<detection>#<eventID>`. */
  readonly pk: string;
  readonly status: EventStatus;
  /** Who claimed it: an SQS message id (real time), or `<message id>/<n>#<n>` (the deployed sweep). */
  readonly owner: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
  readonly delivered: readonly string[];
}

export interface DedupeExport {
  /** Event items by dedupe key. */
  readonly events: ReadonlyMap<string, ExportedEvent>;
  /** Items read in all (events, resources, bursts, heartbeats…). */
  readonly items: number;
  /** `file` (a scan's JSON, or one data file), or `export to S3, <n> data file(s)`. */
  readonly format: string;
}

/** An export that cannot be used: the message says what is wrong and how to produce a usable one. */
export class DedupeExportError extends Error {
  override readonly name = 'DedupeExportError';
}

const STATUSES: readonly EventStatus[] = ['pending', 'sent', 'suppressed', 'folded', 'digest', 'failed'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How to produce an export the backfill reads, for error messages. */
export function exportHint(table: string): string {
  return (
    `Export the table with: aws dynamodb scan --table-name ${table} --filter-expression 'begins_with(pk, :e)' ` +
    `--expression-attribute-values '{":e":{"S":"event#"}}' --output json > dedupe.json\n` +
    `or use a DynamoDB export to S3 (format DYNAMODB_JSON) synced to a folder: aws s3 sync s3://<bucket>/<prefix>/AWSDynamoDB/<export id>/ ./dedupe-export/`
  );
}

/**
 * The JSON documents in `text`: one document, or several written one after another (pages of a scan, JSON Lines).
 * Throws a SyntaxError naming the offset where the text stops being JSON.
 */
export function jsonDocuments(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    return [JSON.parse(trimmed)];
  } catch {
    // several documents: split where the nesting returns to zero
  }
  const docs: unknown[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        try {
          docs.push(JSON.parse(text.slice(start, i + 1)));
        } catch (error) {
          throw new SyntaxError(`not JSON at offset ${start}: ${(error as Error).message}`);
        }
      }
      if (depth < 0) throw new SyntaxError(`unbalanced '${c}' at offset ${i}`);
    } else if (depth === 0 && !/\s/.test(c ?? '')) {
      throw new SyntaxError(`unexpected '${c}' at offset ${i}, outside any JSON document`);
    }
  }
  if (depth !== 0) throw new SyntaxError('the text ends inside a JSON document (cut short?)');
  return docs;
}

/** A DynamoDB item (attribute values) from a scan's `Items` or an export line's `Item`. */
function eventOf(item: Record<string, unknown>): ExportedEvent | undefined {
  const s = (name: string) => {
    const a = item[name];
    return isObject(a) && typeof a['S'] === 'string' ? a['S'] : undefined;
  };
  const pk = s('pk');
  if (pk === undefined || !pk.startsWith('event#')) return undefined;
  const status = s('status') as EventStatus | undefined;
  const expires = item['expiresAt'];
  const delivered = item['delivered'];
  return {
    pk,
    status: status !== undefined && STATUSES.includes(status) ? status : 'sent',
    owner: s('owner') ?? '',
    expiresAt: isObject(expires) && typeof expires['N'] === 'string' ? Number(expires['N']) : 0,
    delivered:
      isObject(delivered) && Array.isArray(delivered['L'])
        ? delivered['L'].flatMap((v) => (isObject(v) && typeof v['S'] === 'string' ? [v['S']] : []))
        : [],
  };
}

/** Items in one parsed document: a scan page (`Items`), an export line (`Item`), or an array of either. */
function itemsOf(doc: unknown): Record<string, unknown>[] | undefined {
  if (Array.isArray(doc)) return doc.flatMap((d) => itemsOf(d) ?? []);
  if (!isObject(doc)) return undefined;
  if (Array.isArray(doc['Items'])) return doc['Items'].filter(isObject);
  if (isObject(doc['Item'])) return [doc['Item']];
  if (isObject(doc['NewImage'])) return [doc['NewImage']];
  return undefined;
}

function textOf(file: string): string {
  const bytes = readFileSync(file);
  const gz = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  try {
    return (gz ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (error) {
    throw new DedupeExportError(`${file} looks gzipped but does not gunzip (${(error as Error).message})`);
  }
}

/** The data files of the DynamoDB exports at or under `dir` (manifest-files.json first, else data/*.json.gz). */
function exportDataFiles(dir: string, table: string): string[] {
  const manifests: string[] = [];
  const walk = (d: string, depth: number) => {
    if (existsSync(join(d, 'manifest-files.json'))) manifests.push(d);
    if (depth === 0) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== 'data') walk(join(d, e.name), depth - 1);
    }
  };
  walk(dir, 4);
  const files: string[] = [];
  for (const m of manifests) {
    const summary = join(m, 'manifest-summary.json');
    if (existsSync(summary)) {
      const format = (JSON.parse(readFileSync(summary, 'utf8')) as { outputFormat?: string }).outputFormat;
      if (format !== undefined && format !== 'DYNAMODB_JSON') {
        throw new DedupeExportError(
          `${m} is a DynamoDB export in the ${format} format; the backfill reads DYNAMODB_JSON.\n${exportHint(table)}`,
        );
      }
    }
    for (const line of readFileSync(join(m, 'manifest-files.json'), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const key = (JSON.parse(line) as { dataFileS3Key?: string }).dataFileS3Key;
      if (typeof key !== 'string') continue;
      const local = join(m, 'data', basename(key));
      if (!existsSync(local)) {
        throw new DedupeExportError(
          `${join(m, 'manifest-files.json')} names ${key}, which is not at ${local}: sync the whole export folder.`,
        );
      }
      files.push(local);
    }
  }
  if (manifests.length > 0) return files;
  const data = basename(dir) === 'data' ? dir : join(dir, 'data');
  if (existsSync(data) && statSync(data).isDirectory()) {
    return readdirSync(data)
      .filter((f) => f.endsWith('.json.gz') || f.endsWith('.json'))
      .sort()
      .map((f) => join(data, f));
  }
  return [];
}

/**
 * Reads the export at `path` (a file, or a folder holding a DynamoDB export to S3). `table` only names the table in
 * the fix of an error message.
 */
export function readDedupeExport(path: string, table: string): DedupeExport {
  if (!existsSync(path)) {
    throw new DedupeExportError(`the dedupe export ${path} does not exist.\n${exportHint(table)}`);
  }
  const isDir = statSync(path).isDirectory();
  let files: string[];
  try {
    files = isDir ? exportDataFiles(path, table) : [path];
  } catch (error) {
    if (error instanceof DedupeExportError) throw error;
    throw new DedupeExportError(`cannot read the DynamoDB export in ${path}: ${(error as Error).message}`);
  }
  if (files.length === 0) {
    throw new DedupeExportError(
      `${path} is a folder with no DynamoDB export in it (no manifest-files.json, no data/*.json.gz).\n${exportHint(table)}`,
    );
  }
  const events = new Map<string, ExportedEvent>();
  let items = 0;
  for (const file of files) {
    let docs: unknown[];
    try {
      docs = jsonDocuments(textOf(file));
    } catch (error) {
      if (error instanceof DedupeExportError) throw error;
      throw new DedupeExportError(
        `${file} is not a DynamoDB export: ${(error as Error).message}.\n${exportHint(table)}`,
      );
    }
    for (const [i, doc] of docs.entries()) {
      const list = itemsOf(doc);
      if (list === undefined) {
        throw new DedupeExportError(
          `${file}: document ${i + 1} has neither Items (aws dynamodb scan) nor Item (export to S3): is it the ` +
            `triage state table's export, in JSON?\n${exportHint(table)}`,
        );
      }
      items += list.length;
      for (const item of list) {
        const event = eventOf(item);
        if (event) events.set(event.pk, event);
      }
    }
  }
  return { events, items, format: isDir ? `export to S3, ${files.length} data file(s)` : 'file' };
}
