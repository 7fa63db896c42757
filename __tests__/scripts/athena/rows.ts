import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { COLUMNS } from '../../../scripts/athena/table';

const EVENTS = resolve(__dirname, '../../fixtures/events');

export type Json = Record<string, unknown>;

/**
 * Every catalog fixture's CloudTrail record (the `detail` of each fixture event), in directory order. GuardDuty
 * finding fixtures are not trail records (findings never appear in the trail) and are left out.
 */
export const RECORDS: Json[] = readdirSync(EVENTS)
  .sort()
  .flatMap((dir) =>
    readdirSync(join(EVENTS, dir))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(EVENTS, dir, f), 'utf8')) as { 'detail-type': string; detail: Json })
      .filter((e) => e['detail-type'] !== 'GuardDuty Finding')
      .map((e) => e.detail),
  );

/** A record as Athena returns it from vigil's table: strings as they are, objects as JSON text, booleans as words. */
export function rowOf(record: Json): (string | undefined)[] {
  return COLUMNS.map(({ field, type }) => {
    const v = record[field];
    // A top-level JSON null is SQL NULL in the table: the field comes back absent (CloudTrail omits such fields).
    if (v === undefined || v === null) return undefined;
    if (type === 'json') return JSON.stringify(v);
    return String(v);
  });
}
