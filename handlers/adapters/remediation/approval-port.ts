/**
 * The remediation pipeline's approval port: a new request is stored, announced in the approval Slack
 * channel (when configured) and mailed to each approver as signed links (when fully configured).
 * Announcing never fails the request: it exists, and the timeout sweep escalates it if nobody sees it.
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SecretRef } from '../../core/alert';
import { type ApprovalRequest, createApprovalRequest } from '../../core/approval/request';
import { asReplacement, formatApprovalMessage } from '../../core/approval/slack-message';
import { describeError, type JsonLog, type LogLevel } from '../../core/lambda-io';
import type { ApprovalPort } from '../../core/remediation/ports';
import type { RemediateSettings } from '../../functions/remediate/spec';
import { newApprovalRequestId, publishApprovalMessage, respondToSlack } from '../approval-channel';
import { type ApprovalLinkMailer, makeApprovalLinkMailer } from '../approval-email';
import type { ApprovalStore } from '../approval-store';
import type { SecretReader } from '../secrets';

export interface ApprovalPortOptions {
  readonly approvals: ApprovalStore;
  readonly secrets: Pick<SecretReader, 'read'>;
  /** Incoming webhook of the approval channel. @default - requests are not announced in Slack */
  readonly slackWebhookRef?: SecretRef;
  /** @default - no link emails */
  readonly mailLinks?: ApprovalLinkMailer;
  readonly approverEmails: readonly string[];
  readonly log: JsonLog;
}

export function makeApprovalPort(o: ApprovalPortOptions): ApprovalPort {
  return {
    async open(opening) {
      const request = createApprovalRequest({
        id: newApprovalRequestId(),
        detectionId: opening.detection.id,
        detectionTitle: opening.detection.title,
        eventId: opening.eventId,
        plan: opening.plan,
        timeout: opening.timeout,
        now: opening.now,
      });
      await o.approvals.put(request);
      if (o.slackWebhookRef) {
        try {
          await publishApprovalMessage(await o.secrets.read(o.slackWebhookRef), formatApprovalMessage(request));
        } catch (err) {
          // The request exists; the timeout sweeper escalates it if nobody sees it in time.
          o.log('error', 'approval message not posted', { requestId: request.id, error: describeError(err) });
        }
      }
      if (o.mailLinks) await emailApprovalLinks(o.mailLinks, request, o.approverEmails, o.log);
      return { requestId: request.id };
    },
    get: (id) => o.approvals.get(id),
    markExecuted: (id, write) => o.approvals.markExecuted(id, write),
  };
}

/**
 * The link mailer, when signed links are fully configured (key, sender, base URL) and there is
 * somebody to mail; otherwise undefined, with a warning when the configuration is half done.
 */
export function linkMailerFor(
  settings: RemediateSettings,
  approverEmails: readonly string[],
  readSecret: (ref: string) => Promise<string>,
  log: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void,
): ApprovalLinkMailer | undefined {
  const { approvalLinkKeyRef: keyRef, approvalEmailFrom: from, approvalBaseUrl: baseUrl } = settings;
  const set = [keyRef, from, baseUrl].filter((v) => v !== undefined).length;
  if (set === 0) return undefined;
  if (set < 3) {
    log(
      'warn',
      'approval link emails are off: APPROVAL_LINK_KEY_REF, APPROVAL_EMAIL_FROM and APPROVAL_BASE_URL are all needed',
    );
    return undefined;
  }
  if (approverEmails.length === 0) return undefined;
  return makeApprovalLinkMailer({
    ses: new SESv2Client({}),
    from: from!,
    key: () => readSecret(keyRef!),
    baseUrl: baseUrl!,
  });
}

/**
 * Emails each approver their own links. Never throws: the request is stored and (normally) announced
 * in Slack already, the primary channel; a lost email costs a channel, not the request.
 */
export async function emailApprovalLinks(
  mail: ApprovalLinkMailer,
  request: ApprovalRequest,
  approverEmails: readonly string[],
  log: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void,
): Promise<void> {
  try {
    const { sent, failed } = await mail(request, approverEmails);
    for (const { email, error } of failed) {
      log('error', 'approval link email not sent', { requestId: request.id, approver: email, error });
    }
    if (sent.length > 0) log('info', 'approval link emails sent', { requestId: request.id, approvers: sent });
  } catch (err) {
    log('error', 'approval link emails not sent', { requestId: request.id, error: describeError(err) });
  }
}

/**
 * Replaces an approval message in Slack with the request's current state, through the click's
 * `response_url` (the button shows "undo" once the request was executed). A request that no longer
 * exists leaves the message as it is.
 */
export function makeApproverResponder(
  approvals: Pick<ApprovalStore, 'get'>,
): (responseUrl: string, requestId: string) => Promise<void> {
  return async (responseUrl, requestId) => {
    const request = await approvals.get(requestId);
    if (request) {
      await respondToSlack(
        responseUrl,
        asReplacement(formatApprovalMessage(request, { undoable: request.status === 'executed' })),
      );
    }
  };
}
