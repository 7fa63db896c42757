/**
 * Reads CloudTrail event history (`LookupEvents`) for the previous-value reader
 * (handlers/core/remediation/previous-value.ts): follows `NextToken` up to `maxPages` pages and reports whether
 * every page was read. The query itself is bounded in time by the caller (`historyLookup`: the 90 days up to
 * the event). CloudTrail allows two lookups per second per account and region; the SDK's adaptive retry
 * absorbs the throttling, and the page cap bounds the calls.
 */
import type { HistoryEvent, HistoryPage } from '../../core/remediation/actions/support';
import type { PlannedCall } from '../../core/remediation/types';

type Output = Record<string, unknown>;

const iso = (v: unknown): string | undefined =>
  v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : undefined;

/** Every page of a LookupEvents call, up to `maxPages`; `complete` is false when a `NextToken` was left. */
export async function readHistory(
  send: (c: PlannedCall) => Promise<Output>,
  lookup: PlannedCall,
  maxPages: number,
): Promise<HistoryPage> {
  const events: HistoryEvent[] = [];
  let next: unknown;
  let pages = 0;
  do {
    const page = await send(next === undefined ? lookup : { ...lookup, input: { ...lookup.input, NextToken: next } });
    for (const e of Array.isArray(page['Events']) ? (page['Events'] as Output[]) : []) {
      events.push({
        eventId: String(e['EventId']),
        eventName: String(e['EventName']),
        eventTime: iso(e['EventTime']) ?? '',
        ...(typeof e['CloudTrailEvent'] === 'string' ? { cloudTrailEvent: e['CloudTrailEvent'] } : {}),
      });
    }
    next = page['NextToken'];
    pages += 1;
  } while (typeof next === 'string' && next !== '' && pages < maxPages);
  return { events, complete: !(typeof next === 'string' && next !== '') };
}
