/**
 * The coverage function's messages (Slack, email and, for the pipeline-down page, PagerDuty): what a
 * transition of the coverage map means and what to do about it. Pure. Account names come from the
 * inventory and regions from the heartbeat items, so every value is escaped for Slack anyway.
 */
import { truncateText } from './alert';
import {
  GLOBAL_COLUMN,
  type CellRef,
  type CoverageResult,
  type UncoveredRegion,
  type UnknownAccount,
} from './coverage';
import { emailSubject } from './format-email';
import { escapeSlackText as esc, SLACK_LIMITS, type SlackMessage } from './format-slack';
import type { CoverageMessage } from './flows/coverage-ports';

/** What the messages say about a cell beyond its coordinates. */
export interface CellFacts extends CellRef {
  readonly accountName: string;
  readonly owner: string;
  /** The region the cell's heartbeats are recorded in (us-east-1 for the global path). */
  readonly region: string;
  /** @default - never */
  readonly lastEventTime?: string;
}

/** Context every message carries. */
export interface CoverageMessageContext {
  /** Name prefix of the deployment (dedup keys, names in the text). */
  readonly prefix: string;
  readonly evaluatedAt: string;
  /** Minutes of silence that make a cell silent (the threshold, for the text). */
  readonly silentAfterMinutes: number;
}

const MAP_HINT = 'Run `npm run coverage` for the whole map (accounts × regions).';

const where = (c: CellFacts) =>
  c.column === GLOBAL_COLUMN
    ? `the global-service path of ${c.accountName} (${c.accountId}), through ${c.region}`
    : `${c.accountName} (${c.accountId}) in ${c.region}`;

const last = (c: CellFacts) => (c.lastEventTime ? `last heartbeat at ${c.lastEventTime}` : 'no heartbeat ever arrived');

function message(
  id: string,
  kind: CoverageMessage['kind'],
  headline: string,
  paragraphs: readonly string[],
  extra: Pick<CoverageMessage, 'pagerduty'> = {},
): CoverageMessage {
  const slack: SlackMessage = {
    text: esc(truncateText(headline, 500)),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncateText(headline, SLACK_LIMITS.headerText) } },
      ...paragraphs.map((p) => ({
        type: 'section' as const,
        text: { type: 'mrkdwn' as const, text: truncateText(esc(p), SLACK_LIMITS.sectionText) },
      })),
    ],
  };
  return {
    id,
    kind,
    slack,
    email: { subject: emailSubject(`[vigil] ${headline}`), body: `${headline}\n\n${paragraphs.join('\n\n')}\n` },
    ...extra,
  };
}

/** A cell gone silent: the detection pipeline no longer proves it sees that account × region. */
export function silentCellMessage(c: CellFacts, ctx: CoverageMessageContext): CoverageMessage {
  const path = c.column === GLOBAL_COLUMN;
  return message(`silent#${c.accountId}/${c.column}`, 'silent', `Coverage lost: ${c.accountName} ${c.column}`, [
    `No heartbeat has arrived from ${where(c)} for more than ${ctx.silentAfterMinutes} minutes (${last(c)}). ` +
      'Until it is back, security events of that account and region may not reach vigil: a detection there can be missed.',
    "What to do: in that account and region, check that the heartbeat schedule and vigil's forwarding rules " +
      `(${ctx.prefix}-fwd-*) exist and are enabled, that the forwarder role can put events on the central bus, ` +
      `and that the account's member stack is applied (\`npm run plan\`).` +
      (path ? ' The global path depends on the rules in us-east-1 and the organization trail.' : ''),
    `Owner: ${c.owner}. ${MAP_HINT}`,
  ]);
}

/** An alerted cell healthy again. */
export function recoveredCellMessage(c: CellFacts, _ctx: CoverageMessageContext): CoverageMessage {
  return message(
    `recovered#${c.accountId}/${c.column}`,
    'recovered',
    `Coverage restored: ${c.accountName} ${c.column}`,
    [
      `Heartbeats from ${where(c)} arrive again (${last(c)}). Events of the silent period were not seen in real time: ` +
        'replay the central bus archive or run the sweep over that window if a detection there matters.',
      `Owner: ${c.owner}.`,
    ],
  );
}

/** An alerted cell that left the map (account or region removed from the inventory). */
export function retiredCellMessage(ref: CellRef): CoverageMessage {
  const cell = `${ref.accountId} ${ref.column}`;
  return message(`retired#${ref.accountId}/${ref.column}`, 'retired', `Coverage alert closed: ${cell} left the map`, [
    `The silent cell ${cell} is no longer in the inventory (account offboarded, region removed or heartbeat not deployed); ` +
      'its alert is closed without a recovery. If that was not intended, check the inventory and the member stack.',
  ]);
}

/** The dedup key of the pipeline-down page (its resolve uses the same). */
export const pipelineDedupKey = (prefix: string) => `${prefix}/coverage/pipeline-down`;

/** Every deployed cell silent at once: one page, not one alert per cell. */
export function pipelineDownMessage(result: CoverageResult, ctx: CoverageMessageContext): CoverageMessage {
  const headline = `Detection pipeline down: no heartbeat from any of ${result.counts.deployed} cells`;
  return message(
    'pipeline-down',
    'pipeline-down',
    headline,
    [
      `No heartbeat from any account or region for more than ${ctx.silentAfterMinutes} minutes. ` +
        'vigil is probably blind everywhere: security events are not reaching triage.',
      'What to do: check the central path first, in the security account: the central bus and its policy, ' +
        `the heartbeat and detection rules, the ${ctx.prefix}-triage queue, its DLQ and the triage function's errors; ` +
        "then the organization trail (logging on?) and a member account's forwarding rules. " +
        `Per-cell alerts are held until the pipeline is back. ${MAP_HINT}`,
    ],
    {
      pagerduty: {
        action: 'trigger',
        dedupKey: pipelineDedupKey(ctx.prefix),
        summary: truncateText(`[vigil] ${headline}`, 1024),
        severity: 'critical',
        details: { deployedCells: result.counts.deployed, evaluatedAt: ctx.evaluatedAt },
      },
    },
  );
}

/** The pipeline is back: resolves the page. */
export function pipelineRecoveredMessage(result: CoverageResult, ctx: CoverageMessageContext): CoverageMessage {
  const headline = `Detection pipeline back: ${result.counts.healthy} of ${result.counts.deployed} cells healthy`;
  return message(
    'pipeline-recovered',
    'pipeline-recovered',
    headline,
    [
      'Heartbeats arrive again. Events of the outage were not seen in real time: replay the central bus archive ' +
        'over that window. Cells still silent alert on their own from now on.',
    ],
    {
      pagerduty: {
        action: 'resolve',
        dedupKey: pipelineDedupKey(ctx.prefix),
        summary: headline,
        severity: 'info',
        details: {},
      },
    },
  );
}

/** An account seen in heartbeats or events that the inventory lacks. */
export function unknownAccountMessage(u: UnknownAccount): CoverageMessage {
  return message(
    `unknown-account#${u.accountId}`,
    'unknown-account',
    `Account ${u.accountId} is not in the inventory`,
    [
      `vigil saw account ${u.accountId} in ${u.seenIn.join(' and ')}${u.regions.length > 0 ? ` (${u.regions.join(', ')})` : ''}, ` +
        'but the inventory does not list it: no owner, no coverage map row, possibly no remediation.',
      'What to do: run `npm run org:sync` to refresh config/org.json from AWS Organizations, review the diff, ' +
        "and deploy that account's member stack (`npm run onboard`).",
    ],
  );
}

/** An opt-in region enabled in an account that vigil does not forward from. */
export function uncoveredRegionMessage(u: UncoveredRegion): CoverageMessage {
  const fix =
    u.reason === 'not-in-inventory'
      ? `add ${u.region} to the inventory's regions (and deploy the member stacks), or disable the region in that account`
      : `add ${u.region} to that account's regions in the inventory (and deploy its member stack), or disable the region`;
  return message(
    `uncovered-region#${u.accountId}/${u.region}`,
    'uncovered-region',
    `Region ${u.region} of ${u.accountId} is not covered`,
    [
      `Opt-in region ${u.region} is enabled in account ${u.accountId}, but vigil forwards nothing from it. What to do: ${fix}.`,
    ],
  );
}
