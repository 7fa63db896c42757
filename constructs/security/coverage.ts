/**
 * Proof of coverage, the checker: the `coverage` function, run every heartbeat interval by a schedule on
 * the security account's default bus, reads the heartbeat cells triage writes to the coverage table
 * (`<prefix>-coverage`, created with the heartbeat path), evaluates the coverage map, alerts on its
 * transitions and publishes its counts. Its own reliability is alarmed: it has not run, it failed, a run
 * ended in its dead-letter queue, and any cell is silent (`CoverageSilentCells` > 0, the backstop that
 * does not depend on Slack or PagerDuty working).
 */
import { join } from 'node:path';
import type { KmsKey } from '../../framework/aws';
import { optInRegionCheck } from '../../config/inventory';
import { secretRefs } from '../../config/alerting';
import { deadLetterQueueName, functionNames, scheduleRuleNames, tableNames } from '../../config/naming';
import { coverageEnvironment, coverageMapEnvironment } from '../../handlers/functions/coverage/spec';
import { COVERAGE_METRICS, METRIC_NAMESPACE } from '../../handlers/functions/published';
import { optional } from '../../handlers/functions/settings';
import { NodeFunction } from '../node-function';
import type { Statement } from '../policy-document';
import type { OpsAlarms } from './alarms';
import { type SecurityContext, tableArn, useKey } from './context';
import { scheduledRun } from './scheduled-run';
import { secretReadStatements } from './secret-access';

/** Minutes between two heartbeats of a cell, and between two coverage runs. */
export const DEFAULT_HEARTBEAT_INTERVAL_MINUTES = 5;

/** A run scans ~18,000 cells and may send a few hundred messages after a regional outage. */
export const COVERAGE_TIMEOUT_SECONDS = 240;

/** A sending run holds its round longer than it can live, so a live run is never overtaken. */
export const COVERAGE_LEASE_SECONDS = COVERAGE_TIMEOUT_SECONDS + 120;

export interface CoverageCheckProps {
  readonly key: KmsKey;
  /** The alert topic (email subscriptions of the default route), as triage publishes to it. */
  readonly alertTopicArn: string;
  /** The statement that lets a function read the inventory view (constructs/security/inventory-table.ts). */
  readonly readInventory: Statement;
  readonly alarms: OpsAlarms;
  /** @default DEFAULT_HEARTBEAT_INTERVAL_MINUTES */
  readonly intervalMinutes?: number;
}

/** The coverage function, its schedule, its dead-letter queue and its alarms. */
export function coverageCheck(ctx: SecurityContext, props: CoverageCheckProps) {
  const { provider, inv, alerting, region, account } = ctx;
  const interval = props.intervalMinutes ?? DEFAULT_HEARTBEAT_INTERVAL_MINUTES;
  if (!Number.isInteger(interval) || interval < 1) {
    throw new Error(`coverage: the heartbeat interval must be a whole number of minutes ≥ 1, got ${interval}`);
  }
  const name = functionNames(inv).coverage;
  const table = tableNames(inv).coverage;
  const dlqName = deadLetterQueueName(name);
  const dlqArn = `arn:aws:sqs:${region}:${account}:${dlqName}`;
  const ruleName = scheduleRuleNames(inv).coverage;

  const fn = new NodeFunction(ctx.scope, 'coverage', {
    provider,
    functionName: name,
    entry: join(ctx.entrypoints, 'coverage.ts'),
    accountId: account,
    region,
    timeoutSeconds: COVERAGE_TIMEOUT_SECONDS,
    memorySize: 512,
    // One run at a time (a late run queues behind the current one); the round's lease covers runs by hand.
    reservedConcurrency: 1,
    logRetentionDays: alerting.logRetentionDays ?? 365,
    files: { 'owner-routing.json': `${JSON.stringify(alerting.owners ?? {})}\n` },
    environment: coverageEnvironment({
      tableName: table,
      inventoryTable: tableNames(inv).inventory,
      intervalMinutes: interval,
      leaseSeconds: COVERAGE_LEASE_SECONDS,
      ...(optInRegionCheck(inv) ? { optInRegionsCaller: account } : {}),
      ownerRoutingFile: 'owner-routing.json',
      defaultRouting: {
        emailTopicArn: props.alertTopicArn,
        ...optional('slackChannel', alerting.default.slackChannel),
        ...optional('slackWebhookRef', alerting.default.slackWebhookRef),
        ...optional('slackBotTokenRef', alerting.default.slackBotTokenRef),
        ...optional('slackChannelId', alerting.default.slackChannelId),
        ...optional('pagerdutyRoutingKeyRef', alerting.default.pagerdutyRoutingKeyRef),
      },
    }),
    statements: [
      {
        Sid: 'ReadCellsAndState',
        Effect: 'Allow',
        // cells() is a Scan, load() a GetItem, every state write a conditional PutItem (no update, no delete).
        Action: ['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: tableArn(ctx, table),
      },
      props.readInventory,
      ...(optInRegionCheck(inv)
        ? [
            {
              Sid: 'ReadOptInRegions',
              Effect: 'Allow' as const,
              // Account Management ListRegions: its own account (no AccountId), and the organization's members
              // as the delegated administrator (resource type accountInOrganization).
              Action: 'account:ListRegions',
              Resource: [
                `arn:aws:account::${account}:account`,
                `arn:aws:account::${inv.managementAccountId}:account/${inv.organizationId}/*`,
              ],
            },
          ]
        : []),
      { Sid: 'PublishCoverageEmail', Effect: 'Allow', Action: 'sns:Publish', Resource: props.alertTopicArn },
      { Sid: 'FailedRunsToDlq', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: dlqArn },
      useKey(props.key),
      ...secretReadStatements(secretRefs(alerting), region, account),
    ],
  });

  scheduledRun(ctx, {
    id: 'coverage',
    fn,
    key: props.key,
    ruleName,
    dlqName,
    description: `Coverage map of the heartbeat cells, every ${interval} minute(s)`,
    scheduleExpression: `rate(${interval} minute${interval === 1 ? '' : 's'})`,
    sid: 'CoverageScheduleOnly',
    // A run is worth little once the next one is due: delivery is retried within two intervals, then the DLQ.
    delivery: { maximumEventAgeInSeconds: Math.max(60, 2 * interval * 60), maximumRetryAttempts: 3 },
    runMaxEventAgeSeconds: 3600,
  });

  // The KPI dashboard's coverage map (a custom widget): read-only, invoked with the viewer's credentials.
  const mapName = functionNames(inv).coverageMap;
  const coverageMap = new NodeFunction(ctx.scope, 'coverage-map', {
    provider,
    functionName: mapName,
    entry: join(ctx.entrypoints, 'coverage-map.ts'),
    accountId: account,
    region,
    timeoutSeconds: 30,
    memorySize: 512,
    // A dashboard left open refreshes it; a handful at once is plenty, and it never starves the others.
    reservedConcurrency: 5,
    logRetentionDays: alerting.logRetentionDays ?? 365,
    environment: coverageMapEnvironment({
      tableName: table,
      inventoryTable: tableNames(inv).inventory,
      intervalMinutes: interval,
    }),
    statements: [
      {
        Sid: 'ReadCellsAndState',
        Effect: 'Allow',
        // cells() is a Scan, load() a GetItem: it never writes.
        Action: ['dynamodb:Scan', 'dynamodb:GetItem'],
        Resource: tableArn(ctx, table),
      },
      props.readInventory,
      { Sid: 'DecryptWithSecurityKey', Effect: 'Allow', Action: 'kms:Decrypt', Resource: props.key.arn },
    ],
  });

  const { alarms } = props;
  alarms.notInvoked(
    name,
    interval * 60,
    3,
    'nothing checks the heartbeats: a silent account or region would go unnoticed. Check the schedule ' +
      `${ruleName} and the function's throttles.`,
  );
  alarms.onErrors(name, 'some coverage messages did not go out (its logs name them); the round is retried.');
  alarms.onErrors(
    mapName,
    "the KPI dashboard's coverage map widget failed to draw (its logs say why); alerting is not affected.",
  );
  alarms.onDlq('coverage-dlq-alarm', dlqName, 'A coverage run failed all its retries or could not be delivered.');
  alarms.aboveZero(
    'coverage-silent-cells-alarm',
    `${inv.namePrefix}-coverage-silent-cells`,
    'Some account × region cells send no heartbeat: vigil may not see security events there. ' +
      'Run `npm run coverage` for the map; the coverage messages say what to check.',
    { namespace: METRIC_NAMESPACE, metricName: COVERAGE_METRICS.silent, statistic: 'Maximum', period: interval * 60 },
  );
  return { coverage: fn, coverageMap, dlqName };
}
