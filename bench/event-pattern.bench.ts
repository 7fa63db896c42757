/**
 * Event-pattern matcher benchmark: 20 compiled patterns (every operator, shaped like catalog detections) against
 * 100,000 synthetic CloudTrail events as EventBridge delivers them, first on parsed objects (triage handler), then
 * including JSON.parse of each line (replay CLI). Prints events/second; no assertions, figures vary by machine.
 * A second table runs the current catalog's central patterns, if the catalog loads.
 *
 *   npx tsx bench/event-pattern.bench.ts          # BENCH_EVENTS=20000 for a quicker run
 */
import { performance } from 'node:perf_hooks';
import { type CompiledPattern, compilePattern } from '../rules/event-pattern';
import type { EventPattern } from '../rules/types';
import { prng as rng } from '../__tests__/helpers/prng';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = 3;
const API_CALL = 'AWS API Call via CloudTrail';
const ok = { errorCode: [{ exists: false }] };

const PATTERNS: Record<string, EventPattern> = {
  'stop-logging': {
    source: ['aws.cloudtrail'],
    'detail-type': [API_CALL],
    detail: { eventName: ['StopLogging', 'DeleteTrail'], ...ok },
  },
  'admin-policy': {
    source: ['aws.iam'],
    detail: {
      eventName: ['AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy'],
      requestParameters: { policyArn: [{ suffix: '/AdministratorAccess' }, { wildcard: '*FullAccess' }] },
      ...ok,
    },
  },
  'root-activity': {
    detail: {
      userIdentity: { type: ['Root'], invokedBy: [{ exists: false }] },
      eventType: [{ 'anything-but': 'AwsServiceEvent' }],
    },
  },
  'world-open-ssh': {
    source: ['aws.ec2'],
    detail: {
      eventName: ['AuthorizeSecurityGroupIngress'],
      requestParameters: {
        ipPermissions: {
          items: { fromPort: [{ numeric: ['<=', 22] }], ipRanges: { items: { cidrIp: ['0.0.0.0/0'] } } },
        },
      },
      ...ok,
    },
  },
  'bucket-policy': {
    source: ['aws.s3'],
    detail: { eventName: ['PutBucketPolicy', 'DeleteBucketPolicy', 'PutBucketAcl'], ...ok },
  },
  'pab-deleted': { source: ['aws.s3'], detail: { eventName: ['DeleteBucketPublicAccessBlock'], ...ok } },
  'access-denied': { detail: { errorCode: [{ prefix: 'AccessDenied' }, { suffix: 'UnauthorizedOperation' }] } },
  'console-no-mfa': {
    source: ['aws.signin'],
    detail: { eventName: ['ConsoleLogin'], additionalEventData: { MFAUsed: [{ 'equals-ignore-case': 'no' }] } },
  },
  'outside-corp-ip': {
    detail: {
      userIdentity: { type: ['IAMUser'] },
      sourceIPAddress: [{ 'anything-but': { prefix: ['10.', '192.168.'] } }],
      eventName: [{ prefix: 'Create' }],
    },
  },
  'from-tor-range': { detail: { sourceIPAddress: [{ cidr: '198.51.100.0/24' }, { cidr: '2001:db8:dead::/48' }] } },
  'kms-deletion': { source: ['aws.kms'], detail: { eventName: ['ScheduleKeyDeletion', 'DisableKey'], ...ok } },
  'guardduty-off': {
    source: ['aws.guardduty'],
    detail: { eventName: ['DeleteDetector', 'UpdateDetector', 'DisassociateFromMasterAccount'] },
  },
  'config-stopped': {
    source: ['aws.config'],
    detail: { eventName: ['StopConfigurationRecorder', 'DeleteDeliveryChannel'], ...ok },
  },
  'rule-tampered': {
    source: ['aws.events'],
    detail: {
      eventName: ['DeleteRule', 'DisableRule', 'RemoveTargets'],
      requestParameters: { name: [{ prefix: 'vigil-' }] },
    },
  },
  'org-leave': {
    source: ['aws.organizations'],
    detail: { eventName: ['LeaveOrganization', 'RemoveAccountFromOrganization'] },
  },
  'secrets-read-bulk': {
    source: ['aws.secretsmanager'],
    detail: {
      eventName: ['GetSecretValue'],
      userIdentity: { arn: [{ 'anything-but': { wildcard: '*:assumed-role/app-*' } }] },
    },
  },
  'large-snapshot-share': {
    source: ['aws.ec2'],
    detail: {
      eventName: ['ModifySnapshotAttribute'],
      requestParameters: { createVolumePermission: { add: { items: { group: ['all'] } } } },
    },
  },
  'either-ec2-or-iam': {
    $or: [
      { source: ['aws.ec2'], detail: { eventName: [{ prefix: 'Delete' }] } },
      {
        source: ['aws.iam'],
        detail: { eventName: [{ prefix: 'Delete' }], userIdentity: { type: ['Root', 'IAMUser'] } },
      },
    ],
  },
  'sso-admin': { source: ['aws.sso'], detail: { eventName: [{ wildcard: '*PermissionSet*' }], ...ok } },
  'many-names': {
    source: ['aws.ec2'],
    'detail-type': [API_CALL],
    detail: { eventName: Array.from({ length: 60 }, (_, i) => `Describe${i}`).concat('RunInstances') },
  },
};

const CALLS: ReadonlyArray<readonly [string, string, string]> = [
  ['aws.ec2', 'ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress'],
  ['aws.ec2', 'ec2.amazonaws.com', 'RunInstances'],
  ['aws.ec2', 'ec2.amazonaws.com', 'DeleteSecurityGroup'],
  ['aws.ec2', 'ec2.amazonaws.com', 'ModifySnapshotAttribute'],
  ['aws.iam', 'iam.amazonaws.com', 'AttachRolePolicy'],
  ['aws.iam', 'iam.amazonaws.com', 'CreateAccessKey'],
  ['aws.iam', 'iam.amazonaws.com', 'DeleteUser'],
  ['aws.s3', 's3.amazonaws.com', 'PutBucketPolicy'],
  ['aws.s3', 's3.amazonaws.com', 'PutObject'],
  ['aws.sts', 'sts.amazonaws.com', 'AssumeRole'],
  ['aws.kms', 'kms.amazonaws.com', 'Decrypt'],
  ['aws.cloudtrail', 'cloudtrail.amazonaws.com', 'StopLogging'],
  ['aws.secretsmanager', 'secretsmanager.amazonaws.com', 'GetSecretValue'],
  ['aws.signin', 'signin.amazonaws.com', 'ConsoleLogin'],
  ['aws.events', 'events.amazonaws.com', 'PutRule'],
];
const IPS = [
  '10.1.2.3',
  '192.168.0.7',
  '203.0.113.10',
  '198.51.100.23',
  '2001:db8:dead:beef::1',
  'ec2.amazonaws.com',
  'AWS Internal',
];
const TYPES = ['AssumedRole', 'AssumedRole', 'AssumedRole', 'IAMUser', 'AWSService', 'Root'];

function syntheticEvent(r: () => number, i: number): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const [source, eventSource, eventName] = pick(CALLS);
  const type = pick(TYPES);
  const account = String(100000000000 + Math.floor(r() * 1000));
  const detail: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: {
      type,
      principalId: `AROAEXAMPLE${i % 97}:session`,
      arn: `arn:aws:sts::${account}:assumed-role/${r() < 0.5 ? 'app-orders' : 'Admin'}/session`,
      accountId: account,
      ...(type === 'Root' && r() < 0.3 ? { invokedBy: 'support.amazonaws.com' } : {}),
      sessionContext: { attributes: { creationDate: '2024-05-02T09:58:11Z', mfaAuthenticated: 'false' } },
    },
    eventTime: '2024-05-02T10:15:30Z',
    eventSource,
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: pick(IPS),
    userAgent: r() < 0.5 ? 'aws-cli/2.15.0 Python/3.11.6' : 'Boto3/1.34.0 md/Botocore#1.34.0',
    requestParameters:
      eventName === 'AuthorizeSecurityGroupIngress'
        ? {
            groupId: 'sg-0123456789abcdef0',
            ipPermissions: {
              items: [
                {
                  ipProtocol: 'tcp',
                  fromPort: pick([22, 443, 3389, 5432]),
                  toPort: 443,
                  ipRanges: { items: [{ cidrIp: pick(['0.0.0.0/0', '10.0.0.0/8']) }] },
                },
              ],
            },
          }
        : {
            policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
            bucketName: `bucket-${i % 50}`,
            name: `rule-${i % 7}`,
          },
    responseElements: null,
    requestID: `req-${i}`,
    eventID: `evt-${i}`,
    readOnly: r() < 0.6,
    eventType: type === 'AWSService' ? 'AwsServiceEvent' : 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    ...(r() < 0.08 ? { errorCode: pick(['AccessDenied', 'Client.UnauthorizedOperation', 'NoSuchEntity']) } : {}),
    ...(source === 'aws.signin' ? { additionalEventData: { MFAUsed: r() < 0.5 ? 'No' : 'Yes' } } : {}),
  };
  return {
    version: '0',
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    'detail-type': source === 'aws.signin' ? 'AWS Console Signin via CloudTrail' : API_CALL,
    source,
    account,
    time: '2024-05-02T10:15:30Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  };
}

function run(
  label: string,
  matchers: readonly CompiledPattern[],
  events: readonly unknown[],
  lines: readonly string[],
): void {
  const pass = (parse: boolean): number => {
    let hits = 0;
    for (let i = 0; i < events.length; i++) {
      const event = parse ? JSON.parse(lines[i]!) : events[i];
      for (let m = 0; m < matchers.length; m++) if (matchers[m]!(event)) hits++;
    }
    return hits;
  };
  const time = (parse: boolean): { perSecond: number; hits: number } => {
    pass(parse); // warm-up: lets V8 optimise the compiled closures before measuring
    let best = Number.POSITIVE_INFINITY;
    let hits = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const start = performance.now();
      hits = pass(parse);
      best = Math.min(best, performance.now() - start);
    }
    return { perSecond: events.length / (best / 1000), hits };
  };
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const objects = time(false);
  const parsed = time(true);
  console.log(`\n${label}: ${matchers.length} patterns × ${fmt(events.length)} events (best of ${ROUNDS})`);
  console.log(
    `  matching parsed events    ${fmt(objects.perSecond).padStart(12)} events/s  (${fmt(objects.perSecond * matchers.length)} pattern checks/s)`,
  );
  console.log(`  JSON.parse + matching     ${fmt(parsed.perSecond).padStart(12)} events/s`);
  console.log(`  matches                   ${fmt(objects.hits).padStart(12)}`);
}

async function main(): Promise<void> {
  const r = rng(20240502);
  const events = Array.from({ length: EVENTS }, (_, i) => syntheticEvent(r, i));
  const lines = events.map((e) => JSON.stringify(e));
  const averageBytes = lines.reduce((n, l) => n + l.length, 0) / lines.length;
  console.log(`event-pattern benchmark — node ${process.version}, ${fmt0(averageBytes)} bytes per event on average`);

  const compileStart = performance.now();
  const matchers = Object.values(PATTERNS).map((p) => compilePattern(p));
  console.log(`compiled ${matchers.length} patterns in ${(performance.now() - compileStart).toFixed(2)} ms`);
  run('bench patterns', matchers, events, lines);

  try {
    const { CATALOG } = await import('../rules/catalog');
    run(
      'catalog central patterns',
      CATALOG.map((d) => compilePattern(d.pattern)),
      events,
      lines,
    );
    // The same catalog through the runner replay and the sweep use: each event is tested only against the
    // detections its source, eventSource and eventName admit (handlers/core/sweep/catalog-index.ts).
    const { compileCatalog } = await import('../handlers/core/sweep/catalog-runner');
    const { PREDICATES } = await import('../rules/predicates');
    const runner = compileCatalog(CATALOG, PREDICATES);
    let best = Number.POSITIVE_INFINITY;
    let hits = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const start = performance.now();
      hits = 0;
      for (const e of events) hits += runner.evaluate(e as never).matched.length > 0 ? 1 : 0;
      best = Math.min(best, performance.now() - start);
    }
    console.log(`\ncatalog via the indexed runner (best of ${ROUNDS})`);
    console.log(`  matching parsed events    ${fmt0(events.length / (best / 1000)).padStart(12)} events/s`);
    console.log(`  matched events            ${fmt0(hits).padStart(12)}`);
  } catch (error) {
    console.log(`\n(catalog patterns skipped: ${(error as Error).message.split('\n')[0]})`);
  }
}

const fmt0 = (n: number) => Math.round(n).toLocaleString('en-US');

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
