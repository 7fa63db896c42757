/**
 * The remediation pipeline: from a detection on an event to a verified fix (or to the reason there
 * is none). The decisions are pure functions of data (guards, mode, exemptions, breaker, kill switch,
 * plan, verify); the pipeline calls adapters only through the ports below, takes the clock as a port,
 * and reads no environment. The same code serves three callers:
 *
 * - `remediateEvent`: a detection from the triage function,
 * - `executeApprovedRequest`: a request a human (or the timeout policy) approved,
 * - `undoAction`: `npm run undo` and the approval flow's Undo button.
 *
 * Order of `remediateEvent` (each step may end the pipeline with an outcome and a reason):
 *
 * ```text
 * detection known? → loop guard / inventory guard → event is a finding of it (pattern + predicate)
 *   → mode (rollout table; off / notify stop here) → target (pure)
 *   → exemptions (config, then resource tag; unreadable tags → at most approve)
 *   → kill switch (on or unreadable → notify)
 *   → read state → plan (already compliant | refuse | calls + snapshot)
 *   → dry-run? report the calls, make none
 *   → idempotency claim (a duplicate stops here: zero writes)
 *   → auto: circuit breaker (tripped → approve + page)
 *   → approve: audit "decision" record (with the event), open an approval request
 *   → auto: audit "snapshot" record BEFORE the change → execute → re-read → verify → audit "result"
 * ```
 *
 * The breaker is taken after the plan, not before the target as a first sketch had it: it counts
 * actions, and an event that turns out already compliant or refused is not one.
 */
export * from './request-contract';
export * from './context';
export * from './ports';
export * from './outcome';
export * from './preflight';
export * from './pipeline';
export * from './approved';
export * from './undo';
export * from './decision';
