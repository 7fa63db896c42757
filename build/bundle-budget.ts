/**
 * Size budgets of the Lambda bundles (minified `index.js`), by function. A budget stands for cold-start cost: the
 * share of a cold start spent loading code grows with the bundle (BENCHMARKS.md, "Handler bundles").
 *
 * - Functions someone waits on keep the tight budget: `triage` (time to detect is a KPI), `approve` (a responder
 *   clicked a link) and `coverage-map` (a dashboard is rendering).
 * - The others run behind a queue, a schedule or an asynchronous invoke (remediation, findings export, the sweep,
 *   digests, coverage, approval time-outs), where tens of milliseconds of load time change nothing anyone sees. Their budget still
 *   catches the failure that matters: a whole SDK client bundled by mistake (an untree-shaken `@aws-sdk/client-ec2`
 *   alone is ~850 KB).
 *
 * `__tests__/build/bundle.test.ts` enforces them; `npm run bench` prints sizes against them.
 */

/** Functions whose cold start someone waits on. */
export const WAITED_ON_FUNCTIONS: ReadonlySet<string> = new Set(['triage', 'approve', 'coverage-map']);

/** Budget of a function someone waits on. */
export const WAITED_ON_BUDGET = 500 * 1024;

/** Budget of a function that runs in the background. */
export const BACKGROUND_BUDGET = 1024 * 1024;

/** The budget of the bundle of entrypoint `name` (`handlers/entrypoints/<name>.ts`). */
export function bundleBudget(name: string): number {
  return WAITED_ON_FUNCTIONS.has(name) ? WAITED_ON_BUDGET : BACKGROUND_BUDGET;
}
