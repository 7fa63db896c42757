/**
 * The approval flow's side of Slack, signed links and the executor: posting the approval message,
 * answering through a click's `response_url`, drawing the random parts (request ids, link nonces) the
 * pure core cannot draw itself, and handing approved work to the executor's queue. HTTP goes through
 * the shared webhook client (timeouts, retries, https only).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ApprovalRequest, ApprovedWork } from '../core/approval/request';
import { approvalLinkUrl, type LinkDecision, signLinkToken } from '../core/approval/signed-link';
import type { ApprovalSlackMessage, SlackNotice } from '../core/approval/slack-message';
import { assertWebhookUrl, deliveryErrorFrom, type PostJsonOptions, postJson } from './http';

/**
 * Options for calls made while Slack waits for the 200 of an interaction: Slack shows an error to the
 * user after 3 seconds, so one quick retry at most and at most about 1.8 s in all, leaving the rest
 * of the budget to the secret read and the DynamoDB, audit and SQS calls before it.
 */
export const INTERACTIVE_HTTP: PostJsonOptions = {
  timeoutMs: 800,
  policy: { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 200 },
};

/**
 * POSTs `message` to a click's `response_url`: with `replace_original: true` it replaces the message
 * the button was in; an ephemeral notice is seen by the clicking user only. Slack accepts five posts
 * per `response_url` within 30 minutes ("Handling user interaction", "Message responses").
 * Throws a `DeliveryError` (channel `slack`) when Slack does not accept it.
 */
export async function respondToSlack(
  responseUrl: string,
  message: ApprovalSlackMessage | SlackNotice,
  options: PostJsonOptions = INTERACTIVE_HTTP,
): Promise<void> {
  assertWebhookUrl('slack', 'Slack response_url', responseUrl);
  const outcome = await postJson(responseUrl, message, options);
  if (!outcome.ok) throw deliveryErrorFrom('slack', 'Slack response_url', outcome);
}

/**
 * Posts the approval message of a new request to an incoming webhook of the Slack app whose
 * interactivity Request URL is the approval endpoint (only such a message's buttons reach us).
 */
export async function publishApprovalMessage(
  webhookUrl: string,
  message: ApprovalSlackMessage,
  options: PostJsonOptions = {},
): Promise<void> {
  assertWebhookUrl('slack', 'Slack webhook', webhookUrl);
  const outcome = await postJson(webhookUrl, message, options);
  if (!outcome.ok) throw deliveryErrorFrom('slack', 'Slack webhook', outcome);
}

/** A fresh approval request id (a UUID: 122 random bits). */
export function newApprovalRequestId(): string {
  return randomUUID();
}

/** One approver's pair of signed links. */
export interface ApproverLinks {
  readonly approver: string;
  readonly approve: string;
  readonly reject: string;
}

/**
 * Signed approve / reject links for each of `approverEmails`, valid until the request expires, each
 * with its own random nonce. Send each approver only their own pair: a link acts as its approver.
 */
export function mintApprovalLinks(
  request: Pick<ApprovalRequest, 'id' | 'expiresAt'>,
  approverEmails: readonly string[],
  key: string,
  baseUrl: string,
): ApproverLinks[] {
  const expiresAt = Math.floor(Date.parse(request.expiresAt) / 1000);
  const link = (approver: string, decision: LinkDecision) =>
    approvalLinkUrl(
      baseUrl,
      signLinkToken(
        { requestId: request.id, decision, approver, expiresAt, nonce: randomBytes(16).toString('base64url') },
        key,
      ),
    );
  return approverEmails.map((approver) => ({
    approver,
    approve: link(approver, 'approve'),
    reject: link(approver, 'reject'),
  }));
}

/**
 * Hands approved work to the executor's SQS queue: one message per decision, an {@link ApprovedWork}
 * as JSON. A SendMessage takes tens of milliseconds, well inside Slack's 3 seconds; the executor
 * (with its own, stronger IAM role) runs the plan. Use a standard queue: the executor acts only while
 * the stored request is `approved` (resp. `undone`), so a duplicate delivery finds it `executed` and
 * stops. Throws the SDK error when SQS refuses.
 */
export function makeWorkQueue(client: SQSClient, queueUrl: string): (work: ApprovedWork) => Promise<void> {
  return async (work) => {
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(work) }));
  };
}
