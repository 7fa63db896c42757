/**
 * Schema as code: a finding in the AWS Security Finding Format (ASFF) for Security Hub's
 * BatchImportFindings, and an update as a BatchUpdateFindings request. Plain data shaped like the SDK's
 * `AwsSecurityFinding` and `BatchUpdateFindingsRequest` (handlers/core imports no SDK).
 *
 * Account: findings are imported from the security account under its default custom-product ARN, which
 * requires `AwsAccountId` to be the calling account (docs/findings.md). The member account the event
 * happened in is in `Resources` (an `AwsAccount` resource and the affected resources' ARNs) and in
 * `ProductFields["vigil/account"]`.
 *
 * Severity: info → INFORMATIONAL, low → LOW, medium → MEDIUM, high → HIGH, critical → CRITICAL, in both
 * `Severity.Label` and `FindingProviderFields.Severity.Label`.
 * Workflow: the finding is imported NEW (an alert went out: BatchImportFindings cannot set workflow);
 * updates set NOTIFIED (approval, remediation, undo, confirmed), RESOLVED (verified fix) or SUPPRESSED
 * with VerificationState BENIGN_POSITIVE (expected change) or FALSE_POSITIVE.
 */
import type { Severity } from '../../../rules/types';
import type { Finding, FindingStatus, FindingUpdate } from './finding';

export const ASFF_SCHEMA_VERSION = '2018-10-08';

export const ASFF_SEVERITY: Readonly<Record<Severity, string>> = {
  info: 'INFORMATIONAL',
  low: 'LOW',
  medium: 'MEDIUM',
  high: 'HIGH',
  critical: 'CRITICAL',
};

/** ASFF finding type (namespace/category) per detection class. */
const TYPE_OF_CLASS: Readonly<Record<string, string>> = {
  exposure: 'Software and Configuration Checks/AWS Security Best Practices',
  privilege: 'TTPs/Privilege Escalation',
  impairment: 'TTPs/Defense Evasion',
  access: 'Unusual Behaviors/User',
  change: 'Software and Configuration Checks',
  heartbeat: 'Software and Configuration Checks',
};

/** Where findings are imported: the security account and the home region of the hub. */
export interface SecurityHubTarget {
  readonly accountId: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
}

/** The default custom-product ARN of an account: `arn:aws:securityhub:<region>:<account>:product/<account>/default`. */
export function productArn(t: SecurityHubTarget): string {
  return `arn:${t.partition ?? 'aws'}:securityhub:${t.region}:${t.accountId}:product/${t.accountId}/default`;
}

export interface AsffResource {
  readonly Type: string;
  readonly Id: string;
  readonly Partition?: string;
  readonly Region?: string;
}

/** The ASFF finding vigil imports (the fields it fills). */
export interface AsffFinding {
  readonly SchemaVersion: typeof ASFF_SCHEMA_VERSION;
  readonly Id: string;
  readonly ProductArn: string;
  readonly ProductName: 'vigil';
  readonly CompanyName: 'vigil';
  readonly GeneratorId: string;
  readonly AwsAccountId: string;
  readonly Region: string;
  readonly Types: readonly string[];
  readonly CreatedAt: string;
  readonly UpdatedAt: string;
  readonly FirstObservedAt: string;
  readonly Severity: { readonly Label: string };
  readonly FindingProviderFields: { readonly Severity: { readonly Label: string }; readonly Types: readonly string[] };
  readonly Title: string;
  readonly Description: string;
  readonly Resources: readonly AsffResource[];
  readonly ProductFields: Readonly<Record<string, string>>;
  readonly SourceUrl?: string;
}

/** Limits of ASFF fields (Security Hub rejects longer values). */
export const ASFF_LIMITS = { title: 256, description: 1024, resources: 32, productField: 1024 } as const;

/** A finding as ASFF, imported from `target` (the security account). */
export function toAsff(f: Finding, target: SecurityHubTarget): AsffFinding {
  const partition = target.partition ?? 'aws';
  const types = [TYPE_OF_CLASS[f.detection.class] ?? 'Software and Configuration Checks'];
  const severity = ASFF_SEVERITY[f.severity];
  const resources: AsffResource[] = [
    { Type: 'AwsAccount', Id: `AWS::::Account:${f.account.id}`, Partition: partition, Region: f.event.awsRegion },
    ...f.resources.map((r) => ({
      Type: 'Other',
      Id: cut(r.arn ?? r.id, 512),
      Partition: partition,
      Region: f.event.awsRegion,
    })),
  ].slice(0, ASFF_LIMITS.resources);
  const fields: Record<string, string | undefined> = {
    'vigil/detection': f.detection.id,
    'vigil/account': f.account.id,
    'vigil/accountName': f.account.name,
    'vigil/ou': f.account.ouPath,
    'vigil/environment': f.account.environment,
    'vigil/owner': f.owner,
    'vigil/region': f.event.awsRegion,
    'vigil/eventId': f.event.eventId,
    'vigil/eventName': f.event.eventName,
    'vigil/eventSource': f.event.eventSource,
    'vigil/eventTime': f.event.eventTime,
    'vigil/sourceIPAddress': f.event.sourceIPAddress,
    'vigil/principalArn': f.event.userIdentity.arn,
    'vigil/principalType': f.event.userIdentity.type,
    'vigil/remediationMode': f.remediation.mode,
    'vigil/remediationAction': f.remediation.action,
    'vigil/mitre': f.mitre.join(' '),
    'vigil/compliance': f.compliance.join('; '),
  };
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: f.id,
    ProductArn: productArn(target),
    ProductName: 'vigil',
    CompanyName: 'vigil',
    GeneratorId: `vigil/${f.detection.id}`,
    AwsAccountId: target.accountId,
    Region: target.region,
    Types: types,
    CreatedAt: f.createdAt,
    UpdatedAt: f.createdAt,
    FirstObservedAt: f.event.eventTime,
    Severity: { Label: severity },
    FindingProviderFields: { Severity: { Label: severity }, Types: types },
    Title: cut(`${f.detection.title} in ${f.account.name} (${f.account.id})`, ASFF_LIMITS.title),
    Description: cut(
      `${f.detection.rationale} ${f.event.eventName} by ${f.event.userIdentity.arn ?? f.event.userIdentity.type} ` +
        `in ${f.account.id} ${f.event.awsRegion} at ${f.event.eventTime}. Owner: ${f.owner}.`,
      ASFF_LIMITS.description,
    ),
    Resources: resources,
    ProductFields: Object.fromEntries(
      Object.entries(fields)
        .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
        .map(([k, v]) => [k, cut(v, ASFF_LIMITS.productField)]),
    ),
    SourceUrl: `https://${f.event.awsRegion}.console.aws.amazon.com/cloudtrailv2/home?region=${f.event.awsRegion}#/events/${encodeURIComponent(f.event.eventId)}`,
  };
}

/** Security Hub workflow and verification state an update sets. */
const WORKFLOW: Readonly<
  Record<
    FindingStatus,
    { readonly status: 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED'; readonly verification?: string }
  >
> = {
  notified: { status: 'NEW' },
  'approval-requested': { status: 'NOTIFIED' },
  approved: { status: 'NOTIFIED' },
  remediated: { status: 'NOTIFIED' },
  verified: { status: 'RESOLVED', verification: 'TRUE_POSITIVE' },
  'remediation-failed': { status: 'NOTIFIED' },
  undone: { status: 'NOTIFIED' },
  confirmed: { status: 'NOTIFIED', verification: 'TRUE_POSITIVE' },
  'expected-change': { status: 'SUPPRESSED', verification: 'BENIGN_POSITIVE' },
  'false-positive': { status: 'SUPPRESSED', verification: 'FALSE_POSITIVE' },
};

/** A BatchUpdateFindings request (the fields vigil sets). */
export interface AsffWorkflowUpdate {
  readonly FindingIdentifiers: ReadonlyArray<{ readonly Id: string; readonly ProductArn: string }>;
  readonly Workflow: { readonly Status: string };
  readonly VerificationState?: string;
  readonly Note: { readonly Text: string; readonly UpdatedBy: string };
}

/** An update as a BatchUpdateFindings request on the finding vigil imported from `target`. */
export function toAsffUpdate(u: FindingUpdate, target: SecurityHubTarget): AsffWorkflowUpdate {
  const w = WORKFLOW[u.status];
  return {
    FindingIdentifiers: [{ Id: u.findingId, ProductArn: productArn(target) }],
    Workflow: { Status: w.status },
    ...(w.verification ? { VerificationState: w.verification } : {}),
    Note: {
      // Note.Text allows 512 characters, UpdatedBy 512.
      Text: cut(`vigil: ${u.status} at ${u.at}${u.note ? `: ${u.note}` : ''}`, 512),
      UpdatedBy: cut(u.actor, 512),
    },
  };
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
