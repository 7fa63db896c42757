import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASFF_SEVERITY, productArn, toAsff, toAsffUpdate } from '../../../../handlers/core/findings/asff';
import { FINDING_STATUSES, type FindingRecord, findingUpdate } from '../../../../handlers/core/findings/finding';
import {
  OCSF_LAKE_COLUMNS,
  OCSF_SEVERITY,
  OCSF_VERSION,
  ocsfJsonLine,
  toOcsf,
} from '../../../../handlers/core/findings/ocsf';
import { CATALOG } from '../../../../rules/catalog';
import { SEVERITIES } from '../../../../rules/types';
import { sampleFinding } from './sample';

const OCSF = JSON.parse(readFileSync(join(__dirname, 'ocsf-detection-finding-required.json'), 'utf8'));
const ASFF = JSON.parse(readFileSync(join(__dirname, 'asff-required.json'), 'utf8'));
const TARGET = { accountId: '222222222222', region: 'eu-west-1' };
const detection = CATALOG.find((d) => d.id === 'cloudtrail-logging-stopped')!;
const subject = { detection, accountId: '110000000006', eventId: 'e-1' };
const at = '2025-07-01T02:00:00.000Z';

const finding = sampleFinding();
const records: FindingRecord[] = [
  { kind: 'finding', finding },
  { kind: 'finding', finding: sampleFinding('describe-instances-denied') },
  ...FINDING_STATUSES.map((status) => ({
    kind: 'update' as const,
    update: findingUpdate(subject, status, { at, actor: 'slack:U1', note: 'why' }),
  })),
];

const present = (o: Record<string, unknown>, key: string) => o[key] !== undefined && o[key] !== null && o[key] !== '';

describe('OCSF Detection Finding (class 2004) against the schema subset', () => {
  it.each(records.map((r, i) => [i, r] as const))('record %i has every required attribute', (_i, record) => {
    const event = toOcsf(record) as unknown as Record<string, any>;
    const missing = [
      ...OCSF.required.event.filter((k: string) => !present(event, k)),
      ...OCSF.required.finding_info
        .filter((k: string) => !present(event.finding_info, k))
        .map((k: string) => `finding_info.${k}`),
      ...OCSF.required.metadata.filter((k: string) => !present(event.metadata, k)).map((k: string) => `metadata.${k}`),
      ...OCSF.required.product
        .filter((k: string) => !present(event.metadata.product, k))
        .map((k: string) => `product.${k}`),
    ];
    expect(missing).toEqual([]);
    expect(event).toMatchObject({ class_uid: OCSF.class_uid, category_uid: OCSF.category_uid });
    expect(event.type_uid).toBe(event.class_uid * 100 + event.activity_id);
    expect(OCSF.enums.activity_id[event.activity_id]).toBe(event.activity_name);
    expect(OCSF.enums.status_id[event.status_id]).toBe(event.status);
    expect(OCSF.enums.severity_id[event.severity_id]).toBe(event.severity);
    expect(event.metadata.version).toBe(OCSF.schema_version);
  });

  it('writes nothing outside the lake columns (the Athena DDL is generated from them)', () => {
    const columns = new Map(OCSF_LAKE_COLUMNS);
    const outside = records.flatMap((r) =>
      Object.entries(toOcsf(r)).flatMap(([key, value]) => {
        const type = columns.get(key);
        if (!type) return [key];
        if (typeof value !== 'object' || value === null) return [];
        // Every nested key must be declared in the column's struct type.
        const nested = JSON.stringify(value).match(/"([a-z_]+)":/g) ?? [];
        return nested
          .map((k) => k.slice(1, -2))
          .filter((k) => !type.includes(`${k}:`))
          .map((k) => `${key}.${k}`);
      }),
    );
    expect(outside).toEqual([]);
  });

  it('maps the finding: create, New, severity, MITRE techniques, CloudTrail facts, owner', () => {
    const e = toOcsf({ kind: 'finding', finding });
    expect(e).toMatchObject({
      activity_id: 1,
      status_id: 1,
      severity_id: 5,
      time: Date.parse(finding.createdAt),
      metadata: { version: OCSF_VERSION },
      finding_info: { uid: finding.id, analytic: { uid: 'cloudtrail-logging-stopped' } },
      cloud: { provider: 'AWS', region: finding.event.awsRegion, account: { uid: '110000000006' } },
      evidences: [{ api: { operation: 'StopLogging', service: { name: 'cloudtrail.amazonaws.com' } } }],
      unmapped: { owner: 'payments-team', vigil_status: 'notified', environment: 'prod' },
    });
    expect(e.finding_info.attacks?.map((a) => a.technique.uid)).toEqual(finding.mitre);
  });

  it('closes on a verified fix, an expected change or a false positive', () => {
    const activity = (status: (typeof FINDING_STATUSES)[number]) =>
      toOcsf({ kind: 'update', update: findingUpdate(subject, status, { at, actor: 'x' }) });
    expect(
      [activity('verified'), activity('false-positive'), activity('remediated')].map((e) => [
        e.activity_name,
        e.status,
      ]),
    ).toEqual([
      ['Close', 'Resolved'],
      ['Close', 'Suppressed'],
      ['Update', 'In Progress'],
    ]);
  });

  it('maps every severity and writes one JSON line per record', () => {
    expect(SEVERITIES.map((s) => OCSF.enums.severity_id[OCSF_SEVERITY[s].id])).toEqual(
      SEVERITIES.map((s) => OCSF_SEVERITY[s].name),
    );
    const line = ocsfJsonLine({ kind: 'finding', finding });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trimEnd()).not.toContain('\n');
  });
});

describe('ASFF for Security Hub against the required fields', () => {
  const asff = toAsff(finding, TARGET) as unknown as Record<string, any>;

  it('has every field BatchImportFindings requires', () => {
    expect(ASFF.required.filter((k: string) => !present(asff, k))).toEqual([]);
    expect(asff.SchemaVersion).toBe(ASFF.schema_version);
    for (const r of asff.Resources) expect(ASFF.resource_required.filter((k: string) => !present(r, k))).toEqual([]);
    expect(asff.Title.length).toBeLessThanOrEqual(ASFF.limits.Title);
    expect(asff.Description.length).toBeLessThanOrEqual(ASFF.limits.Description);
    expect(asff.Resources.length).toBeLessThanOrEqual(ASFF.limits.Resources);
  });

  it('is imported by the security account under its default product ARN; the member account is in Resources and ProductFields', () => {
    expect(asff.ProductArn).toBe('arn:aws:securityhub:eu-west-1:222222222222:product/222222222222/default');
    expect(asff.AwsAccountId).toBe(TARGET.accountId);
    expect(asff.Resources[0]).toEqual({
      Type: 'AwsAccount',
      Id: 'AWS::::Account:110000000006',
      Partition: 'aws',
      Region: finding.event.awsRegion,
    });
    expect(asff.ProductFields['vigil/account']).toBe('110000000006');
    expect(asff.ProductFields['vigil/owner']).toBe('payments-team');
    expect(asff.Id).toBe(finding.id);
    expect(asff.GeneratorId).toBe('vigil/cloudtrail-logging-stopped');
  });

  it('maps every severity to a Security Hub label', () => {
    expect(SEVERITIES.map((s) => ASFF.severity_labels.includes(ASFF_SEVERITY[s]))).toEqual(SEVERITIES.map(() => true));
    expect(asff.Severity.Label).toBe('CRITICAL');
    expect(asff.FindingProviderFields.Severity.Label).toBe('CRITICAL');
  });

  it('turns updates into BatchUpdateFindings workflow changes: RESOLVED on a verified fix, SUPPRESSED on a false positive', () => {
    const update = (status: (typeof FINDING_STATUSES)[number]) =>
      toAsffUpdate(findingUpdate(subject, status, { at, actor: 'slack:U1' }), TARGET);
    for (const status of FINDING_STATUSES) {
      const u = update(status);
      expect(ASFF.workflow_status).toContain(u.Workflow.Status);
      expect(u.VerificationState === undefined || ASFF.verification_state.includes(u.VerificationState)).toBe(true);
      expect(u.FindingIdentifiers).toEqual([
        { Id: findingUpdate(subject, status, { at, actor: 'x' }).findingId, ProductArn: productArn(TARGET) },
      ]);
    }
    expect(update('verified').Workflow.Status).toBe('RESOLVED');
    expect(update('false-positive')).toMatchObject({
      Workflow: { Status: 'SUPPRESSED' },
      VerificationState: 'FALSE_POSITIVE',
    });
    expect(update('expected-change')).toMatchObject({
      Workflow: { Status: 'SUPPRESSED' },
      VerificationState: 'BENIGN_POSITIVE',
    });
    expect(update('undone').Note).toEqual({ Text: `vigil: undone at ${at}`, UpdatedBy: 'slack:U1' });
  });
});
