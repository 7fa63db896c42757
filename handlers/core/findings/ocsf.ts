/**
 * Schema as code: a finding and its updates as OCSF 1.x "Detection Finding" events (class_uid 2004,
 * category_uid 2, Findings), one JSON object per record, for the SIEM stream and the S3 findings lake.
 * The Athena table over the lake is generated from {@link OCSF_LAKE_COLUMNS} (`npm run findings:ddl`);
 * a test keeps the mapping's output inside those columns.
 *
 * Severity: info → 1 Informational, low → 2 Low, medium → 3 Medium, high → 4 High, critical → 5 Critical.
 * Activity: the finding is `1 Create`; an update is `2 Update`, or `3 Close` when it closes the finding
 * (verified fix, expected change, false positive). Status: notified → 1 New; verified → 4 Resolved;
 * expected change and false positive → 3 Suppressed; every other update → 2 In Progress. vigil's own
 * status is kept in `unmapped.vigil_status`.
 */
import type { Severity } from '../../../rules/types';
import { CLOSING_STATUSES, type Finding, type FindingRecord, type FindingStatus, type FindingUpdate } from './finding';

/** The OCSF schema version the events declare (`metadata.version`). */
export const OCSF_VERSION = '1.3.0';
export const DETECTION_FINDING_CLASS_UID = 2004;
export const FINDINGS_CATEGORY_UID = 2;

export const OCSF_SEVERITY: Readonly<Record<Severity, { readonly id: number; readonly name: string }>> = {
  info: { id: 1, name: 'Informational' },
  low: { id: 2, name: 'Low' },
  medium: { id: 3, name: 'Medium' },
  high: { id: 4, name: 'High' },
  critical: { id: 5, name: 'Critical' },
};

const ACTIVITY = { create: [1, 'Create'], update: [2, 'Update'], close: [3, 'Close'] } as const;

const STATUS_ID: Readonly<Record<FindingStatus, readonly [number, string]>> = {
  notified: [1, 'New'],
  'approval-requested': [2, 'In Progress'],
  approved: [2, 'In Progress'],
  remediated: [2, 'In Progress'],
  verified: [4, 'Resolved'],
  'remediation-failed': [2, 'In Progress'],
  undone: [2, 'In Progress'],
  confirmed: [2, 'In Progress'],
  'expected-change': [3, 'Suppressed'],
  'false-positive': [3, 'Suppressed'],
};

/** vigil's fields outside OCSF's attributes, kept flat so the lake table has plain columns. */
export interface VigilUnmapped {
  readonly vigil_status: FindingStatus;
  readonly detection_id: string;
  readonly event_id: string;
  readonly actor: string;
  readonly owner?: string;
  readonly environment?: string;
  readonly ou_path?: string;
  readonly account_name?: string;
  readonly remediation_mode?: string;
  readonly remediation_action?: string;
  readonly remediation_state?: string;
  readonly compliance?: readonly string[];
  readonly note?: string;
}

/** The OCSF Detection Finding event vigil writes (the subset of attributes it fills). */
export interface OcsfDetectionFinding {
  readonly activity_id: number;
  readonly activity_name: string;
  readonly category_uid: typeof FINDINGS_CATEGORY_UID;
  readonly category_name: 'Findings';
  readonly class_uid: typeof DETECTION_FINDING_CLASS_UID;
  readonly class_name: 'Detection Finding';
  readonly type_uid: number;
  readonly type_name: string;
  readonly severity_id: number;
  readonly severity: string;
  /** Epoch ms: the finding's creation, or the update's time. */
  readonly time: number;
  readonly status_id: number;
  readonly status: string;
  readonly message: string;
  readonly is_alert: boolean;
  readonly metadata: {
    readonly version: string;
    readonly uid: string;
    readonly product: { readonly name: 'vigil'; readonly vendor_name: 'vigil'; readonly uid: 'vigil' };
    readonly log_name: 'findings';
  };
  readonly finding_info: {
    readonly uid: string;
    readonly title: string;
    readonly desc?: string;
    readonly created_time?: number;
    readonly modified_time?: number;
    readonly first_seen_time?: number;
    readonly types: readonly string[];
    readonly analytic: { readonly uid: string; readonly name: string; readonly type_id: 1; readonly type: 'Rule' };
    readonly attacks?: ReadonlyArray<{ readonly technique: { readonly uid: string } }>;
  };
  readonly cloud: {
    readonly provider: 'AWS';
    readonly region?: string;
    readonly account: {
      readonly uid: string;
      readonly name?: string;
      readonly type_id: 10;
      readonly type: 'AWS Account';
    };
  };
  readonly resources?: ReadonlyArray<{ readonly uid: string; readonly name: string; readonly region?: string }>;
  readonly evidences?: ReadonlyArray<{
    readonly api: { readonly operation: string; readonly service: { readonly name: string } };
    readonly actor: { readonly user: { readonly uid?: string; readonly type: string } };
    readonly src_endpoint?: { readonly ip: string };
  }>;
  readonly unmapped: VigilUnmapped;
}

/** A finding record as an OCSF Detection Finding. */
export function toOcsf(record: FindingRecord): OcsfDetectionFinding {
  return record.kind === 'finding' ? ocsfOfFinding(record.finding) : ocsfOfUpdate(record.update);
}

/** One JSON line per record (what the stream delivers and the lake stores). */
export function ocsfJsonLine(record: FindingRecord): string {
  return `${JSON.stringify(toOcsf(record))}\n`;
}

function classification(activity: keyof typeof ACTIVITY, severity: Severity, status: FindingStatus) {
  const [activityId, activityName] = ACTIVITY[activity];
  const [statusId, statusName] = STATUS_ID[status];
  return {
    activity_id: activityId,
    activity_name: activityName,
    category_uid: FINDINGS_CATEGORY_UID as typeof FINDINGS_CATEGORY_UID,
    category_name: 'Findings' as const,
    class_uid: DETECTION_FINDING_CLASS_UID as typeof DETECTION_FINDING_CLASS_UID,
    class_name: 'Detection Finding' as const,
    type_uid: DETECTION_FINDING_CLASS_UID * 100 + activityId,
    type_name: `Detection Finding: ${activityName}`,
    severity_id: OCSF_SEVERITY[severity].id,
    severity: OCSF_SEVERITY[severity].name,
    status_id: statusId,
    status: statusName,
  };
}

const metadata = (uid: string) => ({
  version: OCSF_VERSION,
  uid,
  product: { name: 'vigil' as const, vendor_name: 'vigil' as const, uid: 'vigil' as const },
  log_name: 'findings' as const,
});

const analytic = (detectionId: string, title: string) => ({
  uid: detectionId,
  name: title,
  type_id: 1 as const,
  type: 'Rule' as const,
});

function ocsfOfFinding(f: Finding): OcsfDetectionFinding {
  const created = Date.parse(f.createdAt);
  const e = f.event;
  return {
    ...classification('create', f.severity, f.status),
    time: created,
    message: `${f.detection.title} in ${f.account.name} (${f.account.id})`,
    is_alert: true,
    metadata: metadata(`${f.id}:${f.status}`),
    finding_info: {
      uid: f.id,
      title: f.detection.title,
      desc: f.detection.rationale,
      created_time: created,
      first_seen_time: Date.parse(e.eventTime),
      types: [f.detection.class],
      analytic: analytic(f.detection.id, f.detection.title),
      ...(f.mitre.length > 0 ? { attacks: f.mitre.map((uid) => ({ technique: { uid } })) } : {}),
    },
    cloud: {
      provider: 'AWS',
      region: e.awsRegion,
      account: { uid: f.account.id, name: f.account.name, type_id: 10, type: 'AWS Account' },
    },
    ...(f.resources.length > 0
      ? { resources: f.resources.map((r) => ({ uid: r.arn ?? r.id, name: r.id, region: e.awsRegion })) }
      : {}),
    evidences: [
      {
        api: { operation: e.eventName, service: { name: e.eventSource } },
        actor: { user: { type: e.userIdentity.type, ...(e.userIdentity.arn ? { uid: e.userIdentity.arn } : {}) } },
        ...(e.sourceIPAddress ? { src_endpoint: { ip: e.sourceIPAddress } } : {}),
      },
    ],
    unmapped: {
      vigil_status: f.status,
      detection_id: f.detection.id,
      event_id: e.eventId,
      actor: 'vigil',
      owner: f.owner,
      environment: f.account.environment,
      ou_path: f.account.ouPath,
      account_name: f.account.name,
      remediation_mode: f.remediation.mode,
      ...(f.remediation.action ? { remediation_action: f.remediation.action } : {}),
      remediation_state: f.remediation.state,
      compliance: f.compliance,
    },
  };
}

function ocsfOfUpdate(u: FindingUpdate): OcsfDetectionFinding {
  const at = Date.parse(u.at);
  const closes = CLOSING_STATUSES.includes(u.status);
  return {
    ...classification(closes ? 'close' : 'update', u.severity, u.status),
    time: at,
    message: `${u.detection.title}: ${u.status} by ${u.actor}`,
    is_alert: false,
    metadata: metadata(`${u.findingId}:${u.status}`),
    finding_info: {
      uid: u.findingId,
      title: u.detection.title,
      modified_time: at,
      types: [],
      analytic: analytic(u.detection.id, u.detection.title),
    },
    cloud: { provider: 'AWS', account: { uid: u.accountId, type_id: 10, type: 'AWS Account' } },
    unmapped: {
      vigil_status: u.status,
      detection_id: u.detection.id,
      event_id: u.eventId,
      actor: u.actor,
      ...(u.note ? { note: u.note } : {}),
    },
  };
}

/**
 * The lake table's columns, as Athena (Hive) types: every attribute the mapping above can write. The DDL
 * (`npm run findings:ddl`, scripts/findings-ddl.ts) is generated from this list, and a test checks that
 * the mapping writes nothing outside it.
 */
export const OCSF_LAKE_COLUMNS: ReadonlyArray<readonly [name: string, type: string]> = [
  ['activity_id', 'int'],
  ['activity_name', 'string'],
  ['category_uid', 'int'],
  ['category_name', 'string'],
  ['class_uid', 'int'],
  ['class_name', 'string'],
  ['type_uid', 'bigint'],
  ['type_name', 'string'],
  ['severity_id', 'int'],
  ['severity', 'string'],
  ['time', 'bigint'],
  ['status_id', 'int'],
  ['status', 'string'],
  ['message', 'string'],
  ['is_alert', 'boolean'],
  [
    'metadata',
    'struct<version:string,uid:string,product:struct<name:string,vendor_name:string,uid:string>,log_name:string>',
  ],
  [
    'finding_info',
    'struct<uid:string,title:string,desc:string,created_time:bigint,modified_time:bigint,first_seen_time:bigint,' +
      'types:array<string>,analytic:struct<uid:string,name:string,type_id:int,type:string>,' +
      'attacks:array<struct<technique:struct<uid:string>>>>',
  ],
  ['cloud', 'struct<provider:string,region:string,account:struct<uid:string,name:string,type_id:int,type:string>>'],
  ['resources', 'array<struct<uid:string,name:string,region:string>>'],
  [
    'evidences',
    'array<struct<api:struct<operation:string,service:struct<name:string>>,' +
      'actor:struct<user:struct<uid:string,type:string>>,src_endpoint:struct<ip:string>>>',
  ],
  [
    'unmapped',
    'struct<vigil_status:string,detection_id:string,event_id:string,actor:string,owner:string,environment:string,' +
      'ou_path:string,account_name:string,remediation_mode:string,remediation_action:string,' +
      'remediation_state:string,compliance:array<string>,note:string>',
  ],
];
