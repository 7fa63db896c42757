/**
 * Small pieces of the triage workflow (handlers/core/flows/triage-flow.ts), kept apart so the flow reads
 * as the workflow: the retried hand-off, the Slack message of an alert, a rejected message's ids and the
 * digest entry of a change monitor.
 */
import { describeError } from '../lambda-io';
import {
  type AttemptResult,
  classifySdkError,
  type RetryPolicy,
  type RetryRuntime,
  runWithRetry,
  type SdkErrorShape,
} from '../retry';
import type { AlertDecision } from '../triage';
import type { ChannelOutcome, DigestEntry, SlackMessageRef } from './triage-ports';

/**
 * Sends `work`, retrying failures an AWS SDK call can recover from (throttling, server faults, no
 * response) with back-off; the SDK's own retries have already run inside each attempt.
 */
export async function sendWithRetry<W>(
  send: (work: W) => Promise<void>,
  work: W,
  policy: RetryPolicy,
  runtime: RetryRuntime,
): Promise<{ ok: true } | { ok: false; error: string; permanent: boolean; attempts: number }> {
  let lastError = '';
  const outcome = await runWithRetry(
    async (): Promise<AttemptResult<void>> => {
      try {
        await send(work);
        return { ok: true, value: undefined };
      } catch (err) {
        lastError = describeError(err);
        const permanent = classifySdkError((err ?? {}) as SdkErrorShape) === 'permanent';
        return { ok: false, failure: { kind: 'rejected', permanent, detail: lastError } };
      }
    },
    policy,
    runtime,
  );
  return outcome.ok
    ? { ok: true }
    : { ok: false, error: lastError, permanent: outcome.permanent, attempts: outcome.attempts };
}

/** The Slack message a Web API post returned, if Slack went out that way in this attempt. */
export function slackMessageOf(outcomes: readonly ChannelOutcome[] | undefined): SlackMessageRef | undefined {
  if (!Array.isArray(outcomes)) return undefined;
  for (const o of outcomes) if (o.channel === 'slack' && o.status === 'sent' && o.slack) return o.slack;
  return undefined;
}

/** The ids a rejected message showed, for its outcome. */
export function optionalIds(seen: { readonly detectionId?: string; readonly eventId?: string }) {
  return {
    ...(seen.detectionId === undefined ? {} : { detectionId: seen.detectionId }),
    ...(seen.eventId === undefined ? {} : { eventId: seen.eventId }),
  };
}

/** The digest entry of a change-monitor decision. */
export function digestEntry(decision: AlertDecision, owner: string): DigestEntry {
  const e = decision.event;
  return {
    day: new Date(decision.eventTimeMs).toISOString().slice(0, 10),
    owner,
    detectionId: decision.detection.id,
    title: decision.detection.title,
    accountId: decision.accountId,
    accountName: decision.account.name,
    region: e.awsRegion,
    eventId: e.eventId,
    eventName: e.eventName,
    eventTime: e.eventTime,
    principal: e.actor.arn ?? e.actor.type,
    resources: e.resources.slice(0, DIGEST_RESOURCES),
  };
}

/** Resources kept per digest entry. */
const DIGEST_RESOURCES = 5;
