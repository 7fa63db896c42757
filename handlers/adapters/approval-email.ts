/**
 * Sends each approver their own signed Approve / Reject links by email, through Amazon SES v2. A link
 * acts as the approver it names, so every approver gets a separate email addressed to them alone
 * (never one email to a list, never a CC). Slack stays the primary channel: this one is for approvers
 * outside Slack, or for when Slack is down.
 */
import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { formatApprovalEmail } from '../core/approval/link-email';
import type { ApprovalRequest } from '../core/approval/request';
import { mintApprovalLinks } from './approval-channel';

/** Options of {@link makeApprovalLinkMailer}. */
export interface ApprovalLinkMailerOptions {
  readonly ses: SESv2Client;
  /** Sender address: an identity verified in SES in the function's region. */
  readonly from: string;
  /** Reads the link HMAC key (the approve function verifies with the same key). */
  readonly key: () => Promise<string>;
  /** The approve function URL; links point to `<baseUrl>/approve?token=…`. */
  readonly baseUrl: string;
}

/** What one round of emails achieved. */
export interface ApprovalMailResult {
  readonly sent: string[];
  readonly failed: Array<{ readonly email: string; readonly error: string }>;
}

/** Sends the link emails of one request to `approverEmails`, one email each. */
export type ApprovalLinkMailer = (
  request: ApprovalRequest,
  approverEmails: readonly string[],
) => Promise<ApprovalMailResult>;

/**
 * Builds the mailer. The key is read once per call (the secret reader caches it anyway). A refused
 * email does not stop the others: each failure is returned with its approver, for the caller to log.
 * Reading the key or minting the links throws (a configuration problem that concerns every approver).
 */
export function makeApprovalLinkMailer(options: ApprovalLinkMailerOptions): ApprovalLinkMailer {
  return async (request, approverEmails) => {
    const result: ApprovalMailResult = { sent: [], failed: [] };
    if (approverEmails.length === 0) return result;
    const links = mintApprovalLinks(request, approverEmails, await options.key(), options.baseUrl);
    // One at a time: approver lists are short, and SES's per-second sending quota (1/s in the sandbox)
    // is then never the reason an email is refused.
    for (const pair of links) {
      const email = formatApprovalEmail(request, pair);
      try {
        await options.ses.send(
          new SendEmailCommand({
            FromEmailAddress: options.from,
            Destination: { ToAddresses: [pair.approver] },
            Content: {
              Simple: {
                Subject: { Data: email.subject, Charset: 'UTF-8' },
                Body: {
                  Text: { Data: email.text, Charset: 'UTF-8' },
                  Html: { Data: email.html, Charset: 'UTF-8' },
                },
              },
            },
          }),
        );
        result.sent.push(pair.approver);
      } catch (err) {
        const e = err as { readonly name?: string; readonly message?: string };
        result.failed.push({ email: pair.approver, error: `${e.name ?? 'Error'}: ${e.message ?? String(err)}` });
      }
    }
    return result;
  };
}
