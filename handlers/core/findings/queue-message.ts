/**
 * Finding records on the findings queue (issue #15): triage, remediate and approve enqueue each record on
 * the `<prefix>-findings.fifo` queue; the findings function (handlers/entrypoints/findings.ts) exports them
 * to Security Hub and the findings stream. This file is the message contract both sides share. Pure.
 *
 * - Group id: the finding id. SQS FIFO delivers one group's messages in the order they were sent and holds
 *   a group's later messages back while an earlier one is in flight or being retried, so a finding's
 *   updates reach Security Hub after its import and in the order they happened.
 * - Deduplication id: SHA-256 of the body. A producer that retries a send after a timeout (the message may
 *   have been enqueued) cannot put the same record on the queue twice within SQS's five-minute window.
 * - Body: `{"v": 1, "record": FindingRecord}`. The consumer checks every field the sinks read, so a
 *   malformed message is reported and dead-lettered, never half-exported.
 */
import { createHash } from 'node:crypto';
import { SEVERITIES, type Severity } from '../../../rules/types';
import { isRecord } from '../lambda-io';
import { FINDING_STATUSES, type FindingRecord, type FindingStatus } from './finding';

/** Version of the message body. */
export const FINDING_MESSAGE_VERSION = 1;

/** SQS refuses messages over 256 KiB; a finding is a few KiB (resources and facts are bounded by the alert). */
export const MAX_FINDING_MESSAGE_BYTES = 256 * 1024;

export interface FindingMessage {
  readonly groupId: string;
  readonly deduplicationId: string;
  readonly body: string;
}

/** The finding a record belongs to: its own id, or the id an update names. */
export function recordFindingId(record: FindingRecord): string {
  return record.kind === 'finding' ? record.finding.id : record.update.findingId;
}

/** The queue message of one record. */
export function findingMessage(record: FindingRecord): FindingMessage {
  const body = JSON.stringify({ v: FINDING_MESSAGE_VERSION, record });
  return {
    groupId: recordFindingId(record),
    deduplicationId: createHash('sha256').update(body).digest('hex'),
    body,
  };
}

export type ParsedFindingMessage =
  | { readonly ok: true; readonly record: FindingRecord }
  | { readonly ok: false; readonly problems: readonly string[] };

const FINDING_ID = /^vigil-[0-9a-f]{32}$/;
const ACCOUNT_ID = /^\d{12}$/;

/** Reads a message body back; every problem at once, never throws. */
export function parseFindingMessage(body: string): ParsedFindingMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, problems: ['the body is not JSON'] };
  }
  if (!isRecord(parsed)) return { ok: false, problems: ['the body is not a JSON object'] };
  if (parsed.v !== FINDING_MESSAGE_VERSION) {
    return {
      ok: false,
      problems: [
        `version ${JSON.stringify(parsed.v)} is not ${FINDING_MESSAGE_VERSION} (sent by another vigil release?)`,
      ],
    };
  }
  const record = parsed.record;
  if (!isRecord(record)) return { ok: false, problems: ['`record` is not an object'] };
  const problems =
    record.kind === 'finding'
      ? findingProblems(record.finding)
      : record.kind === 'update'
        ? updateProblems(record.update)
        : [`record.kind ${JSON.stringify(record.kind)} is neither "finding" nor "update"`];
  return problems.length === 0 ? { ok: true, record: record as unknown as FindingRecord } : { ok: false, problems };
}

/** Checks the fields of one object; nested objects add their problems to the same list. */
class Fields {
  constructor(
    private readonly where: string,
    private readonly value: Record<string, unknown>,
    readonly problems: string[] = [],
  ) {}
  text(name: string, pattern?: RegExp): void {
    const v = this.value[name];
    if (typeof v !== 'string' || v === '') this.problems.push(`${this.where}.${name} is not a non-empty string`);
    else if (pattern && !pattern.test(v)) this.problems.push(`${this.where}.${name} '${v.slice(0, 40)}' is malformed`);
  }
  /** A string, possibly empty. */
  string(name: string): void {
    if (typeof this.value[name] !== 'string') this.problems.push(`${this.where}.${name} is not a string`);
  }
  time(name: string): void {
    const v = this.value[name];
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) {
      this.problems.push(`${this.where}.${name} is not an ISO 8601 time`);
    }
  }
  oneOf(name: string, allowed: readonly string[]): void {
    const v = this.value[name];
    if (typeof v !== 'string' || !allowed.includes(v)) {
      this.problems.push(`${this.where}.${name} ${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
    }
  }
  object(name: string): Fields {
    const v = this.value[name];
    if (!isRecord(v)) this.problems.push(`${this.where}.${name} is not an object`);
    return new Fields(`${this.where}.${name}`, isRecord(v) ? v : {}, this.problems);
  }
  strings(name: string): void {
    const v = this.value[name];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
      this.problems.push(`${this.where}.${name} is not a list of strings`);
    }
  }
  list(name: string): void {
    if (!Array.isArray(this.value[name])) this.problems.push(`${this.where}.${name} is not a list`);
  }
}

const STATUSES: readonly FindingStatus[] = FINDING_STATUSES;
const SEVERITY_NAMES: readonly Severity[] = SEVERITIES;

function findingProblems(value: unknown): string[] {
  if (!isRecord(value)) return ['record.finding is not an object'];
  const f = new Fields('finding', value);
  f.text('id', FINDING_ID);
  f.oneOf('severity', SEVERITY_NAMES);
  f.oneOf('status', STATUSES);
  f.time('createdAt');
  f.string('owner');
  f.list('resources');
  f.strings('mitre');
  f.strings('compliance');
  const detection = f.object('detection');
  for (const name of ['id', 'title', 'class']) detection.text(name);
  detection.string('rationale');
  const account = f.object('account');
  account.text('id', ACCOUNT_ID);
  for (const name of ['name', 'ouId', 'ouPath', 'environment']) account.string(name);
  const event = f.object('event');
  for (const name of ['eventId', 'eventName', 'eventSource', 'awsRegion']) event.text(name);
  event.time('eventTime');
  event.object('userIdentity').text('type');
  const remediation = f.object('remediation');
  remediation.oneOf('state', ['requested', 'withheld', 'none']);
  remediation.text('mode');
  return f.problems;
}

function updateProblems(value: unknown): string[] {
  if (!isRecord(value)) return ['record.update is not an object'];
  const u = new Fields('update', value);
  u.text('findingId', FINDING_ID);
  u.oneOf('status', STATUSES);
  u.time('at');
  u.text('actor');
  u.oneOf('severity', SEVERITY_NAMES);
  u.text('accountId', ACCOUNT_ID);
  u.text('eventId');
  const detection = u.object('detection');
  detection.text('id');
  detection.text('title');
  return u.problems;
}
