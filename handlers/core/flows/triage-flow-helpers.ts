/**
 * Small pure helpers of the triage workflow (handlers/core/flows/triage-flow.ts), kept apart so the workflow
 * stays readable.
 */
import type { AlertDecision } from '../triage';
import type { ChannelOutcome, DigestEntry, SlackMessageRef } from './triage-ports';

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
