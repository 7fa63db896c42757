/** Timeouts and limits of the security stack's functions and bus, and why they are what they are. */

/** Triage function timeout; the queue's visibility timeout is six times this (AWS guidance). */
export const TRIAGE_TIMEOUT_SECONDS = 120;

/**
 * remediate-member timeout: its longest request is a state read that pages CloudTrail LookupEvents
 * (up to 10 pages per query, two lookups per second per account and region, adaptive retries).
 */
export const REMEDIATE_MEMBER_TIMEOUT_SECONDS = 120;

/**
 * Synchronous remediate-member invokes in one remediate pass at most: tags, state, the change, the
 * verifying state read (an approved execution or an undo makes fewer).
 */
export const MEMBER_INVOKES_PER_PASS = 4;

/**
 * Remediate function timeout: every member invoke of a pass may run to the member timeout, plus a minute
 * for DynamoDB, SSM, Slack and PagerDuty. Kept above the member timeout times the invokes so a slow
 * member account fails its invoke (a typed, reported failure) before remediate itself times out.
 */
export const REMEDIATE_TIMEOUT_SECONDS = MEMBER_INVOKES_PER_PASS * REMEDIATE_MEMBER_TIMEOUT_SECONDS + 60;

/** EventBridge allows 300 rules per bus (adjustable); fail synth well before a deploy would. */
export const MAX_RULES_PER_BUS = 300;

/**
 * AWS provider version of the security stack: the first with `invoked_via_function_url` on
 * `aws_lambda_permission` (the approval URL needs it), above the binding's 6.25.0 pin.
 * TODO(iam): #7 drop with a @cdktf/provider-aws binding built on provider ≥ 6.29.
 */
export const INVOKED_VIA_URL_PROVIDER_VERSION = '6.29.0';
