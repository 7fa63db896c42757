/**
 * The shared input reader, one EventBridge event at a time, for commands that handle events one by one (`plan`,
 * `undo`; replay works on the reader's batches for speed). CloudTrail records are wrapped in the envelope
 * EventBridge delivers, exactly as replay does; items that are neither events nor records become `skipped` items.
 */
import { toEvent, wrapCloudTrailRecord } from '../replay/core';
import type { ReadTally } from './command';
import { type InputListing, type ReadOptions, readFiles } from './inputs';

/** An EventBridge event as read (CloudTrail records wrapped in its envelope). */
export type InputEvent = Record<string, unknown> & {
  readonly detail: Record<string, unknown>;
  readonly account: string;
};

/** One event read, or one file or record that could not be. */
export type EventItem =
  | {
      readonly kind: 'event';
      readonly file: string;
      /** Where the event is in its file (`line 3`, `Records[12]`); undefined when the file holds just this event. */
      readonly where: string | undefined;
      readonly event: InputEvent;
    }
  | { readonly kind: 'skipped'; readonly file: string; readonly where: string | undefined; readonly reason: string };

/** Reads every event of the listed inputs in order, counting into `tally` (ignored and unreadable entries too). */
export async function* readEvents(
  listing: InputListing,
  tally: ReadTally,
  options: ReadOptions = {},
): AsyncGenerator<EventItem> {
  tally.ignored.push(...listing.ignored);
  for (const u of listing.unreadable) {
    tally.filesSkipped.push(u);
    yield { kind: 'skipped', file: u.file, where: undefined, reason: u.reason };
  }
  for await (const item of readFiles(listing.files, options)) {
    switch (item.kind) {
      case 'records': {
        const wrap = item.format === 'cloudtrail' ? wrapCloudTrailRecord : toEvent;
        const alone = item.records.length === 1 && item.where(0) === '[0]';
        for (let i = 0; i < item.records.length; i++) {
          const where = alone ? undefined : item.where(i);
          const result = wrap(item.records[i]);
          if ('problem' in result) {
            tally.recordsSkipped.push({ file: item.file, where: item.where(i), reason: result.problem });
            yield { kind: 'skipped', file: item.file, where, reason: result.problem };
            continue;
          }
          tally.items++;
          yield { kind: 'event', file: item.file, where, event: result.event as unknown as InputEvent };
        }
        break;
      }
      case 'record-skipped':
        tally.recordsSkipped.push({ file: item.file, where: item.where, reason: item.reason });
        yield { kind: 'skipped', file: item.file, where: item.where, reason: item.reason };
        break;
      case 'file-skipped':
        tally.filesSkipped.push({ file: item.file, reason: item.reason });
        yield { kind: 'skipped', file: item.file, where: undefined, reason: item.reason };
        break;
      case 'file-done':
        tally.filesRead++;
        break;
    }
  }
}
