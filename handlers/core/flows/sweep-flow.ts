/**
 * The trail-log sweep (issue #12, docs/sweep.md): the second, independent path to every finding. Each SQS message
 * carries S3 event notifications for objects the org trail wrote to the log-archive bucket; for each object:
 *
 * - **log file**: its records are read one at a time (streamed, gunzipped, hashed), wrapped into the EventBridge
 *   event real time would have carried (handlers/core/sweep/to-event.ts) and run through the deployed catalog
 *   (handlers/core/sweep/catalog-runner.ts: central patterns, read-only rule states, forwarding). Every match goes
 *   through the triage workflow itself (handlers/core/flows/triage-flow.ts) in **sweep mode**: same envelope check,
 *   loop guard, predicates, severities, dedupe key, repeat windows, bursts and digest routing. What real time already
 *   handled is confirmed; what it missed is alerted "late — caught by sweep" and remediation requested as triage
 *   would. One engine: this file decides nothing about findings.
 *   Findings younger than the grace period (real time may still be on its way) defer the whole file: the message
 *   comes back after the rest of the grace period, before anything is claimed, so a race yields one alert.
 * - **digest file**: signature (CloudTrail's public keys), link to the previous digest, and every listed log file
 *   against the ledger's hash (a listed file the sweep has not read yet is read now; gone = `missing`).
 * - **Insights file**: skipped (no detection reads Insights events).
 * - **anything else** under the trail's prefix: only the trail may write there, so it is an integrity alert.
 *
 * Every object is claimed in the sweep ledger first and recorded there when done: a redelivered notification (S3
 * delivers at least once) does nothing twice. Failures give the claim back and the message returns to SQS (partial
 * batch failure); after the queue's maxReceiveCount it waits in the DLQ, which is alarmed.
 */
import { type Alert, cloudTrailEventUrl } from '../alert';
import { parseTriageMessage } from '../envelope';
import {
  describeError as describe,
  inBatches,
  isRecord,
  makeJsonLogger,
  type SqsBatchResponse,
  type SqsEvent,
  type SqsRecord,
} from '../lambda-io';
import { type DigestFailureKind, digestFailureRecord, sweepFileRecord } from '../metrics';
import type { CatalogRunner } from '../sweep/catalog-runner';
import {
  checkChainLink,
  type PreviousDigest,
  parseDigest,
  reconcileLogFiles,
  type ReadLogFile,
  verifyDigest,
} from '../sweep/digest-validation';
import { classifyKey, decodeEventKey, type DigestFileKey, type KeyLayout, type LogFileKey } from '../sweep/keys';
import { wrapCloudTrailRecord } from '../sweep/to-event';
import { routeAlert, triageMessage } from '../triage';
import type { IntegrityProblem, LogItem, SweepLedger, SweepOutcome, TrailObjects } from './sweep-ports';
import { createTriageFlow, type TriageFlowDeps } from './triage-flow';
import type { TriageOutcome } from './triage-ports';

/** Default grace period before a finding real time has not handled counts as missed: 15 minutes after eventTime. */
export const DEFAULT_GRACE_SECONDS = 900;
/** Default time the ledger keeps a swept object: beyond the longest backfill window (`npm run sweep`). */
export const DEFAULT_LEDGER_TTL_SECONDS = 90 * 86_400;
/** Default lease of a claim in the ledger: above the function timeout, below the queue's visibility timeout. */
export const DEFAULT_SWEEP_LEASE_SECONDS = 900;
/** SQS's maximum visibility timeout (12 hours). */
const MAX_DELAY_SECONDS = 43_200;

export interface SweepFlowDeps {
  /** The triage workflow's ports and settings (its `mode` is set to `sweep`, its `observe` to the sweep's). */
  readonly triage: Omit<TriageFlowDeps, 'mode' | 'observe'>;
  /** The catalog compiled as the deployed rules run it. */
  readonly catalog: CatalogRunner;
  readonly objects: TrailObjects;
  readonly ledger: SweepLedger;
  /** Where the org trail writes (organization id, management account, prefix). */
  readonly layout: KeyLayout;
  /** @default DEFAULT_GRACE_SECONDS */
  readonly graceSeconds?: number;
  /** @default DEFAULT_LEDGER_TTL_SECONDS */
  readonly ledgerTtlSeconds?: number;
  /** @default DEFAULT_SWEEP_LEASE_SECONDS */
  readonly leaseSeconds?: number;
  /**
   * Asks SQS to show the message again after `delaySeconds` (ChangeMessageVisibility); the message is also
   * reported as a batch item failure. @default - only reported (it comes back after the visibility timeout)
   */
  readonly defer?: (messageId: string, delaySeconds: number) => Promise<void>;
  /** Objects processed at once. @default 4 */
  readonly concurrency?: number;
  /** Told what happened to each message. @default - nobody */
  readonly observe?: (outcome: SweepOutcome) => void;
  /** Told what triage made of each finding (the CLI and tests read it). @default - nobody */
  readonly observeFinding?: (outcome: TriageOutcome) => void;
}

/** One object named by an S3 notification. */
interface Notified {
  readonly bucket: string;
  readonly key: string;
}

type ObjectResult = { status: 'done' } | { status: 'deferred'; delaySeconds: number; reason: string };

/** Builds the SQS batch handler of the sweep. */
export function createSweepFlow(deps: SweepFlowDeps): (event: SqsEvent) => Promise<SqsBatchResponse> {
  const logger = makeJsonLogger('vigil-sweep', deps.triage.write);
  const log = logger.log;
  const now = deps.triage.now;
  const seconds = () => Math.floor(now().getTime() / 1000);
  const grace = deps.graceSeconds ?? DEFAULT_GRACE_SECONDS;
  const lease = deps.leaseSeconds ?? DEFAULT_SWEEP_LEASE_SECONDS;
  const ttl = deps.ledgerTtlSeconds ?? DEFAULT_LEDGER_TTL_SECONDS;
  const ctx = deps.triage.context;
  // Findings of concurrent files are told apart by their synthetic message id's prefix.
  const findingSinks = new Map<string, (o: TriageOutcome) => void>();
  const triage = createTriageFlow({
    ...deps.triage,
    mode: 'sweep',
    observe: (outcome) => {
      deps.observeFinding?.(outcome);
      findingSinks.get(outcome.messageId.slice(0, outcome.messageId.lastIndexOf('#')))?.(outcome);
    },
  });
  const emitDigestFailure = (failure: DigestFailureKind, properties: Record<string, string>) =>
    logger.emit(digestFailureRecord({ failure, count: 1, timestamp: now().getTime(), properties }));

  /** Alerts a trail-integrity problem through the same notifier, to the default owner's route. */
  const reportIntegrity = async (problem: IntegrityProblem) => {
    log('error', 'trail integrity problem', { outcome: 'integrity', ...problem });
    emitDigestFailure(problem.failure, { bucket: problem.bucket, key: problem.key, reason: problem.reason });
    const alert = integrityAlert(problem, ctx.inventory.defaultOwner, now());
    await deps.triage.notifier.notify({
      ...alert,
      routing: routeAlert(ctx.inventory.defaultOwner, 'critical', deps.triage.routing),
    });
  };

  /** Runs one log file through the engine. */
  const sweepLog = async (where: Notified, file: LogFileKey, unit: string): Promise<ObjectResult> => {
    const matches: Array<{ detectionId: string; event: unknown }> = [];
    let end: Extract<LogItem, { kind: 'end' }> | undefined;
    let skipped = 0;
    for await (const item of deps.objects.readLog(where)) {
      if (item.kind === 'not-found') {
        await reportIntegrity({
          failure: 'missing',
          ...where,
          account: file.account,
          region: file.region,
          reason: 'a log file the trail delivered is gone before the sweep could read it',
        });
        return { status: 'done' };
      }
      if (item.kind === 'end') {
        end = item;
        break;
      }
      const wrapped = wrapCloudTrailRecord(item.record);
      if (!('event' in wrapped)) {
        skipped++;
        continue;
      }
      const verdict = deps.catalog.evaluate(wrapped.event);
      for (const detectionId of verdict.matched) matches.push({ detectionId, event: wrapped.event });
    }
    if (!end) throw new Error(`s3://${where.bucket}/${where.key}: the log file ended without a summary`);

    // Phase one, pure: the decisions alone, to find findings real time may still be delivering.
    let youngest = Number.NEGATIVE_INFINITY;
    for (const m of matches) {
      const parsed = parseTriageMessage(JSON.stringify(m));
      if (!parsed.ok) continue;
      const decision = triageMessage(parsed.message, ctx);
      if (decision.kind === 'alert') youngest = Math.max(youngest, decision.eventTimeMs);
    }
    const waitMs = youngest + grace * 1000 - now().getTime();
    if (waitMs > 0) {
      return {
        status: 'deferred',
        delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil(waitMs / 1000) + 30),
        reason: 'a finding is younger than the grace period: real time may still deliver it',
      };
    }

    // Phase two: the triage workflow in sweep mode, one synthetic message per match.
    const outcomes: TriageOutcome[] = [];
    findingSinks.set(unit, (o) => outcomes.push(o));
    let failed: number;
    try {
      const response = await triage({
        Records: matches.map((m, i) => ({ messageId: `${unit}#${i}`, body: JSON.stringify(m) })),
      });
      failed = response.batchItemFailures.length;
    } finally {
      findingSinks.delete(unit);
    }
    if (failed > 0) {
      // Findings already handled are recorded in the dedupe store: the retry confirms them and redoes the rest.
      return { status: 'deferred', delaySeconds: 60, reason: `${failed} finding(s) could not be handled yet` };
    }
    await deps.ledger.finish(
      {
        ...where,
        sha256: end.sha256,
        records: end.records,
        ...(end.etag === undefined ? {} : { etag: end.etag }),
        sweptAt: seconds(),
      },
      { owner: unit, ttlSeconds: ttl },
    );
    const lagSeconds = end.lastModified ? Math.round((now().getTime() - end.lastModified.getTime()) / 1000) : undefined;
    const count = (o: TriageOutcome['outcome'], late?: boolean) =>
      outcomes.filter((x) => x.outcome === o && (late === undefined || !!x.late === late)).length;
    log('info', 'log file swept', {
      outcome: 'swept',
      ...where,
      records: end.records,
      skipped,
      matches: matches.length,
      late: outcomes.filter((o) => o.late).length,
      confirmed: count('confirmed'),
      ...(lagSeconds === undefined ? {} : { lagSeconds }),
    });
    logger.emit(
      sweepFileRecord({
        records: end.records,
        lagSeconds,
        timestamp: now().getTime(),
        properties: { key: where.key, account: file.account, region: file.region },
      }),
    );
    return { status: 'done' };
  };

  /** Validates one digest file: signature, chain link, and the log files it lists against the ledger. */
  const sweepDigest = async (where: Notified, file: DigestFileKey, unit: string): Promise<ObjectResult> => {
    const at = { account: file.account, region: file.region };
    const object = await deps.objects.readDigest(where);
    if (object === 'not-found') {
      await reportIntegrity({ failure: 'missing', ...where, ...at, reason: 'a digest file is gone' });
      return { status: 'done' };
    }
    const parsed = parseDigest(object.content);
    const window = parsed.ok
      ? { start: new Date(parsed.digest.digestStartTime), end: new Date(parsed.digest.digestEndTime) }
      : { start: new Date(Date.parse(file.endTime) - 3_600_000), end: new Date(file.endTime) };
    const keys = await deps.objects.publicKeys(file.region, window.start, window.end);
    const check = verifyDigest(object, keys);
    if (!check.ok) {
      await reportIntegrity({ failure: 'invalid-digest', ...where, ...at, reason: `${check.code}: ${check.reason}` });
      await finishOther(where, unit);
      return { status: 'done' };
    }
    const d = check.verified.digest;
    let previous: PreviousDigest;
    if (d.previousDigestS3Bucket !== null && d.previousDigestS3Object !== null) {
      const prev = await deps.objects.readDigest({ bucket: d.previousDigestS3Bucket, key: d.previousDigestS3Object });
      if (prev === 'not-found') previous = 'not-found';
      else {
        const prevParsed = parseDigest(prev.content);
        const prevKeys = prevParsed.ok
          ? await deps.objects.publicKeys(
              file.region,
              new Date(prevParsed.digest.digestStartTime),
              new Date(prevParsed.digest.digestEndTime),
            )
          : keys;
        // The previous digest's signature is the one this digest names (the documented chain walk).
        const prevCheck = verifyDigest({ ...prev, signature: d.previousDigestSignature ?? prev.signature }, prevKeys);
        previous = prevCheck.ok ? prevCheck.verified : { invalid: prevCheck.reason };
      }
    }
    const link = checkChainLink(check.verified, previous);
    if (link.status === 'broken') {
      await reportIntegrity({ failure: 'chain-broken', ...where, ...at, reason: `${link.code}: ${link.reason}` });
    } else if (link.status === 'start') {
      // Validation or logging was (re)started: the StopLogging / UpdateTrail detections alert on that.
      log('info', 'starting digest (no previous digest)', { outcome: 'digest-start', ...where });
    }
    const read: ReadLogFile[] = [];
    for (const listed of d.logFiles) {
      const location = { bucket: listed.s3Bucket, key: listed.s3Object };
      const entry = await deps.ledger.get(location);
      if (entry) {
        read.push({ ...location, sha256: entry.sha256 });
        continue;
      }
      // Not swept yet (its notification is still on its way, or was lost): hash it now.
      for await (const item of deps.objects.readLog(location)) {
        if (item.kind === 'end') read.push({ ...location, sha256: item.sha256 });
      }
    }
    let problems = 0;
    for (const verdict of reconcileLogFiles([check.verified], read)) {
      if (verdict.status === 'ok' || verdict.status === 'unlisted') continue;
      problems++;
      await reportIntegrity({
        failure: verdict.status,
        bucket: verdict.bucket,
        key: verdict.key,
        ...at,
        reason:
          verdict.status === 'missing'
            ? `listed in ${where.key} but gone`
            : `hashes to ${verdict.actual}, ${where.key} lists ${verdict.expected}`,
      });
    }
    log(problems === 0 && link.status !== 'broken' ? 'info' : 'error', 'digest validated', {
      outcome: 'digest',
      ...where,
      link: link.status,
      listed: d.logFiles.length,
      problems,
    });
    await deps.ledger.finish(
      { ...where, sha256: check.verified.sha256, records: 0, sweptAt: seconds() },
      { owner: unit, ttlSeconds: ttl },
    );
    return { status: 'done' };
  };

  const finishOther = (where: Notified, unit: string) =>
    deps.ledger.finish({ ...where, sha256: '', records: 0, sweptAt: seconds() }, { owner: unit, ttlSeconds: ttl });

  /** Claims, sweeps and records one object. */
  const sweepObject = async (where: Notified, unit: string): Promise<ObjectResult> => {
    const kind = classifyKey(where.key, deps.layout);
    if (kind.kind === 'insight') return { status: 'done' };
    const claim = await deps.ledger.claim({ ...where, owner: unit, now: seconds(), leaseSeconds: lease });
    if (claim.status === 'done') {
      log('info', 'already swept', { outcome: 'duplicate', ...where });
      return { status: 'done' };
    }
    if (claim.status === 'busy') {
      return { status: 'deferred', delaySeconds: lease, reason: 'another attempt is sweeping this object' };
    }
    try {
      let result: ObjectResult;
      if (kind.kind === 'digest') result = await sweepDigest(where, kind, unit);
      else if (!('reason' in kind)) result = await sweepLog(where, kind, unit);
      else {
        await reportIntegrity({
          failure: 'foreign-object',
          ...where,
          reason: `not written by the organization trail: ${kind.reason}`,
        });
        await finishOther(where, unit);
        result = { status: 'done' };
      }
      if (result.status !== 'done') await deps.ledger.release({ ...where, owner: unit });
      return result;
    } catch (err) {
      await deps.ledger.release({ ...where, owner: unit }).catch(() => undefined);
      throw err;
    }
  };

  const processMessage = async (record: SqsRecord): Promise<SweepOutcome> => {
    const notified = notifiedObjects(record.body);
    if (!('objects' in notified)) {
      log('warn', 'dropped message', { outcome: 'invalid', reason: notified.problem, messageId: record.messageId });
      return { messageId: record.messageId, status: 'done', reason: notified.problem };
    }
    let delay = 0;
    const reasons: string[] = [];
    for (const [i, where] of notified.objects.entries()) {
      const result = await sweepObject(where, `${record.messageId}/${i}`);
      if (result.status === 'deferred') {
        delay = Math.max(delay, result.delaySeconds);
        reasons.push(result.reason);
      }
    }
    return delay > 0
      ? { messageId: record.messageId, status: 'deferred', delaySeconds: delay, reason: reasons.join('; ') }
      : { messageId: record.messageId, status: 'done' };
  };

  return async (event) => {
    const records = Array.isArray(event?.Records) ? event.Records : [];
    const failures: Array<{ itemIdentifier: string }> = [];
    await inBatches(records, deps.concurrency ?? 4, async (record) => {
      let outcome: SweepOutcome;
      try {
        outcome = await processMessage(record);
      } catch (err) {
        log('error', 'sweep failed; will retry', {
          outcome: 'retry',
          error: describe(err),
          messageId: record.messageId,
        });
        outcome = { messageId: record.messageId, status: 'retry', reason: describe(err) };
      }
      if (outcome.status === 'deferred') {
        log('info', 'deferred', { outcome: 'deferred', ...outcome });
        await deps.defer?.(record.messageId, outcome.delaySeconds ?? 60).catch((err: unknown) =>
          log('warn', 'could not delay the message; it returns after the visibility timeout', {
            error: describe(err),
            messageId: record.messageId,
          }),
        );
      }
      if (outcome.status !== 'done') failures.push({ itemIdentifier: record.messageId });
      deps.observe?.(outcome);
    });
    return { batchItemFailures: failures };
  };
}

/**
 * The objects an SQS message's S3 event notification names (S3 user guide, "Event message structure"), keys
 * decoded. The `s3:TestEvent` S3 sends when the notification is configured names none.
 */
export function notifiedObjects(
  body: string,
): { readonly objects: readonly Notified[] } | { readonly problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { problem: 'not JSON' };
  }
  if (!isRecord(parsed)) return { problem: 'not a JSON object' };
  if (parsed['Event'] === 's3:TestEvent') return { objects: [] };
  if (!Array.isArray(parsed['Records'])) return { problem: 'no Records: not an S3 event notification' };
  const objects: Notified[] = [];
  for (const r of parsed['Records']) {
    const s3 = isRecord(r) && isRecord(r['s3']) ? r['s3'] : undefined;
    const bucket = s3 && isRecord(s3['bucket']) ? s3['bucket']['name'] : undefined;
    const rawKey = s3 && isRecord(s3['object']) ? s3['object']['key'] : undefined;
    if (!isRecord(r) || typeof r['eventName'] !== 'string' || !r['eventName'].startsWith('ObjectCreated:')) continue;
    const key = typeof rawKey === 'string' ? decodeEventKey(rawKey) : undefined;
    if (typeof bucket !== 'string' || key === undefined) return { problem: 'an S3 record without bucket or key' };
    objects.push({ bucket, key });
  }
  return { objects };
}

/** The alert of a trail-integrity problem: critical, to the default owner, in every channel's format. */
export function integrityAlert(problem: IntegrityProblem, owner: string, now: Date): Alert {
  const titles: Record<IntegrityProblem['failure'], string> = {
    'invalid-digest': 'CloudTrail digest file failed validation',
    'chain-broken': 'CloudTrail digest chain is broken',
    modified: 'CloudTrail log file was modified after delivery',
    missing: 'CloudTrail log file or digest is missing',
    'foreign-object': 'Object in the trail prefix not written by the organization trail',
  };
  const region = problem.region ?? 'us-east-1';
  return {
    detection: {
      id: `sweep-${problem.failure}`,
      title: titles[problem.failure],
      severity: 'critical',
      rationale:
        `The trail-log sweep found ${problem.reason}. Log file integrity validation proves the logs are the ones ` +
        'CloudTrail wrote; a failure is tamper evidence, or a bucket policy gap.',
      compliance: { cis: ['3.2'] },
    },
    event: {
      eventId: `${problem.failure}:${problem.key}`.slice(0, 128),
      eventName: 'DigestValidation',
      eventSource: 'cloudtrail.amazonaws.com',
      eventTime: now.toISOString(),
      awsRegion: region,
      account: { id: problem.account ?? 'unknown' },
      actor: { type: 'vigil-sweep' },
      requestParameters: { bucket: problem.bucket, key: problem.key },
      resources: [`arn:aws:s3:::${problem.bucket}/${problem.key}`],
    },
    owner,
    routing: {},
    remediation: { mode: 'notify', state: 'none' },
    links: { cloudTrailEvent: cloudTrailEventUrl(region, problem.key) },
  };
}
