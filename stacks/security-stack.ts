import { join } from 'node:path';
import { functionEntrypoints, prebundle } from '../build/bundle';
import type { Construct } from 'constructs';
import type { AlertingConfig } from '../config/alerting';
import type { OrgInventory } from '../config/inventory';
import { centralBusArn, functionNames, queueNames, tableNames } from '../config/naming';
import type { RemediationConfig } from '../config/remediation';
import { KpiDashboard } from '../constructs/kpi-dashboard';
import type { NodeFunction } from '../constructs/node-function';
import { OpsAlarms } from '../constructs/security/alarms';
import { approvalEndpoint, approvalTimeouts } from '../constructs/security/approvals';
import { centralBus } from '../constructs/security/central-bus';
import { coverageCheck } from '../constructs/security/coverage';
import type { SecurityContext } from '../constructs/security/context';
import { coverageTable } from '../constructs/security/coverage-table';
import { trailSweep } from '../constructs/security/sweep';
import { checkedCentralRules, detectionRouting } from '../constructs/security/detection-routing';
import { dailyDigest, digestTable } from '../constructs/security/digest';
import { findingsDelivery, findingsExport, findingsExportAlarm } from '../constructs/security/findings';
import { inventoryTable } from '../constructs/security/inventory-table';
import { memberRequestKey } from '../constructs/security/member-request-key';
import {
  alertRoutingFile,
  remediateFunction,
  remediateMemberFunction,
} from '../constructs/security/remediation-functions';
import { remediationStore } from '../constructs/security/remediation-store';
import { securityKey } from '../constructs/security/security-key';
import { triageFunction } from '../constructs/security/triage-function';
import { MALFORMED_APPROVAL_RECORDS_METRIC, METRIC_NAMESPACE } from '../handlers/functions/published';
import type { CentralRule } from '../rules/patterns';
import type { Detection } from '../rules/types';
import { VigilStack } from './vigil-stack';

export {
  INVOKED_VIA_URL_PROVIDER_VERSION,
  MAX_RULES_PER_BUS,
  MEMBER_INVOKES_PER_PASS,
  REMEDIATE_MEMBER_TIMEOUT_SECONDS,
  REMEDIATE_TIMEOUT_SECONDS,
  TRIAGE_TIMEOUT_SECONDS,
} from '../constructs/security/limits';
export { secretReadStatements } from '../constructs/security/secret-access';

export interface SecurityStackProps {
  readonly inventory: OrgInventory;
  readonly catalog: readonly Detection[];
  /** Alert channels and routing (config/alerting.json). */
  readonly alerting: AlertingConfig;
  /** Remediation modes, exemptions and safety rails (config/remediation.json). */
  readonly remediation: RemediationConfig;
  /** Folder of the Lambda entrypoints. @default handlers/entrypoints of this repository */
  readonly entrypointsDir?: string;
}

/**
 * The security account, composed of its parts (constructs/security/, one concern per file, in the
 * order they are created): the security key; the central bus (admits only the organization, only
 * PutEvents) and its archive; detection routing (one precise rule per detection into the triage
 * queue); the ops alarms topic; the digest table, triage and the daily digest; remediation's queue,
 * tables and kill switch; the member request key; remediate-member, approve (with its URL), remediate
 * and the approval timeout sweep; the alarms and the KPI dashboard. Resources keep the addresses they
 * had before the split (see context.ts).
 */
export class SecurityStack extends VigilStack {
  readonly busArn: string;
  readonly rules: readonly CentralRule[];
  readonly triage: NodeFunction;
  /** The daily digest of change monitors (scheduled). */
  readonly digest: NodeFunction;
  /** The coverage checker (scheduled every heartbeat interval). */
  readonly coverage: NodeFunction;
  /** The trail-log sweep (S3 notifications of the trail bucket). */
  readonly sweep: NodeFunction;
  readonly remediate: NodeFunction;
  /** The only function whose role may assume the member accounts' vigil roles. */
  readonly remediateMember: NodeFunction;
  readonly approve: NodeFunction;
  /** URL of the approval endpoint (set it as the Slack app's Interactivity Request URL + `/slack/interactions`). */
  readonly approveUrl: string;

  constructor(scope: Construct, id: string, props: SecurityStackProps) {
    const inv = props.inventory;
    super(scope, id, { inventory: inv, accountId: inv.securityAccountId, component: 'security' });
    const ctx: SecurityContext = {
      scope: this,
      provider: this.provider,
      inv,
      alerting: props.alerting,
      remediation: props.remediation,
      region: inv.homeRegion,
      account: inv.securityAccountId,
      prefix: inv.namePrefix,
      entrypoints: props.entrypointsDir ?? join(__dirname, '..', 'handlers', 'entrypoints'),
    };
    const names = functionNames(inv);
    // Every function's bundle at once (esbuild builds them in parallel), before the parts ask one by one.
    prebundle(functionEntrypoints(ctx.entrypoints));
    this.busArn = centralBusArn(inv);
    this.rules = checkedCentralRules(props.catalog, inv.namePrefix);

    const key = securityKey(ctx);
    const bus = centralBus(ctx);
    const detectionQueue = detectionRouting(ctx, key, bus, this.rules);
    const alarms = new OpsAlarms(ctx, key);
    // Off unless config/alerting.json `findings` turns Security Hub or the stream on (issue #15).
    findingsDelivery(ctx, key, alarms);
    findingsExport(ctx, key, alarms);
    findingsExportAlarm(ctx, alarms);

    digestTable(ctx, key);
    coverageTable(ctx, key);
    const { readStatement: readInventory } = inventoryTable(ctx, key);
    const { triage, alertTopicArn } = triageFunction(ctx, key, detectionQueue.queue, readInventory);
    this.triage = triage;
    alarms.onErrors(names.triage, 'alerts are being retried and may reach the DLQ.');
    alarms.aboveZero(
      'dropped-invalid-alarm',
      `${inv.namePrefix}-triage-dropped-invalid`,
      'Triage dropped messages that are not CloudTrail events of the organization (malformed, spoofed source, ' +
        `account mismatch); the reasons are in the ${names.triage} logs ("dropped invalid message").`,
      { namespace: METRIC_NAMESPACE, metricName: 'DroppedInvalid', statistic: 'Sum', period: 300 },
    );
    const { digest, dlqName: digestDlq } = dailyDigest(ctx, { key, alertTopicArn });
    this.digest = digest;
    alarms.onErrors(names.digest, "some owners' daily digest did not go out; Lambda retries the run (see its logs).");
    alarms.onDlq('digest-dlq-alarm', digestDlq, 'A daily digest run failed all its retries or could not be delivered.');
    this.coverage = coverageCheck(ctx, { key, alertTopicArn, readInventory, alarms }).coverage;
    this.sweep = trailSweep(ctx, { key, alertTopicArn, readInventory, alarms }).sweep;

    const remediationFile = `${JSON.stringify(props.remediation)}\n`;
    const { workQueue } = remediationStore(ctx, key);
    const requestKey = memberRequestKey(ctx);
    this.remediateMember = remediateMemberFunction(ctx, { requestKey, securityKey: key }, readInventory);
    // approve and its URL come first: remediate mails signed links to that URL. The reference goes one
    // way only (approve knows nothing of remediate), so there is no cycle.
    const endpoint = approvalEndpoint(ctx, key, remediationFile);
    this.approve = endpoint.approve;
    this.approveUrl = endpoint.url;
    this.remediate = remediateFunction(ctx, {
      key,
      requestKey,
      workQueue,
      alertTopicArn,
      approveUrl: endpoint.url,
      readInventory,
      files: {
        'remediation.json': remediationFile,
        'alert-routing.json': alertRoutingFile(ctx, alertTopicArn),
      },
    });
    approvalTimeouts(ctx, key, remediationFile);

    alarms.onDlq(
      'remediation-dlq-alarm',
      `${queueNames(inv).remediation}-dlq`,
      'Remediation work failed repeatedly and waits in the dead-letter queue.',
    );
    for (const fn of [names.remediate, names.approve, names.approvalTimeouts]) alarms.onErrors(fn, 'see its logs.');
    alarms.aboveZero(
      'malformed-approval-records-alarm',
      `${inv.namePrefix}-malformed-approval-records`,
      `The approval timeout sweep skipped approval records it could not read (their ids are in the ${names.approvalTimeouts} logs); they never time out by themselves: repair or delete them in ${tableNames(inv).approvals}.`,
      { namespace: METRIC_NAMESPACE, metricName: MALFORMED_APPROVAL_RECORDS_METRIC, statistic: 'Sum', period: 300 },
    );
    alarms.onErrors(
      names.remediateMember,
      'member-account reads or changes failed unhandled (timeouts, untyped errors); remediate reported them failed.',
    );

    new KpiDashboard(this, 'kpis', {
      provider: this.provider,
      dashboardName: `${inv.namePrefix}-kpis`,
      region: ctx.region,
      coverageMapFunctionArn: `arn:aws:lambda:${ctx.region}:${ctx.account}:function:${names.coverageMap}`,
    });
    alarms.onDlq(
      'triage-dlq-alarm',
      `${inv.namePrefix}-triage-dlq`,
      'Security events failed delivery or triage and wait in the dead-letter queue.',
    );
  }
}
