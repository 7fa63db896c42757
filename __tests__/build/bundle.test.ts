// The module object itself (not an ES namespace copy), so jest.spyOn reaches bundle.ts's calls.
import childProcess = require('node:child_process');
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type BuildOptions, buildSync, version as esbuildVersion } from 'esbuild';
import type * as bundleModule from '../../build/bundle';
import { BUNDLE_TARGET, bundleCode, bundleComposition, bundleFunction } from '../../build/bundle';
import { BACKGROUND_BUDGET, bundleBudget, WAITED_ON_BUDGET, WAITED_ON_FUNCTIONS } from '../../build/bundle-budget';

const ROOT = resolve(__dirname, '..', '..');
const ENTRYPOINTS = join(ROOT, 'handlers', 'entrypoints');
const entries = readdirSync(ENTRYPOINTS)
  .filter((f) => f.endsWith('.ts'))
  .sort()
  .map((f) => ({ name: f.replace(/\.ts$/, ''), path: join(ENTRYPOINTS, f) }));

describe('bundleCode', () => {
  it.each(entries)('keeps $name within its size budget', ({ name, path }) => {
    expect(bundleCode(path).length).toBeLessThanOrEqual(bundleBudget(name));
  });

  it('gives the functions someone waits on the tight budget, every other one the background budget', () => {
    // Explicit on purpose: a new or renamed function needs a decision here.
    const kb = Object.fromEntries(entries.map(({ name }) => [name, bundleBudget(name) / 1024]));
    expect(kb).toEqual({
      'approval-timeouts': 1024,
      approve: 500,
      coverage: 1024,
      'coverage-map': 500,
      digest: 1024,
      findings: 1024,
      remediate: 1024,
      'remediate-member': 1024,
      sweep: 1024,
      triage: 500,
    });
    expect([...WAITED_ON_FUNCTIONS].map(bundleBudget)).toEqual([WAITED_ON_BUDGET, WAITED_ON_BUDGET, WAITED_ON_BUDGET]);
    expect(bundleBudget('a-future-function')).toBe(BACKGROUND_BUDGET);
  });

  it.each(entries)('writes no path of this machine into $name', ({ path }) => {
    const code = bundleCode(path).toString('utf8');
    expect(code).not.toContain(ROOT);
    expect(code).not.toContain(tmpdir());
  });

  it('builds each entrypoint once per process, whatever the spelling of its path', () => {
    const entry = join(ENTRYPOINTS, 'approve.ts');
    const first = bundleCode(entry);
    const spawn = jest.spyOn(childProcess, 'spawnSync');
    try {
      expect(bundleCode(entry)).toBe(first);
      expect(bundleCode(`${ENTRYPOINTS}/./approve.ts`)).toBe(first);
      expect(spawn).not.toHaveBeenCalled();
    } finally {
      spawn.mockRestore();
    }
  });

  it('gives the same zip, hash and path for the same function', () => {
    const entry = join(ENTRYPOINTS, 'approve.ts');
    const a = bundleFunction('vigil-approve', entry, { 'inventory.json': '{}' });
    const b = bundleFunction('vigil-approve', entry, { 'inventory.json': '{}' });
    expect(b.sha256).toBe(a.sha256);
    expect(b.zipPath).toBe(a.zipPath);
    expect(b.zip.equals(a.zip)).toBe(true);
  });

  it('carries only the environment credential provider, not the default chain', () => {
    const parts = [...bundleComposition(join(ENTRYPOINTS, 'approve.ts')).keys()];
    expect(parts).toEqual(expect.arrayContaining(['handlers/entrypoints', '@aws-sdk/client-dynamodb']));
    expect(parts).toContain('handlers/runtime'); // env-credentials.ts, the only file there
    expect(
      parts.filter((p) => /credential-provider-(node|ini|sso|process|web-identity)|nested-clients\/sso/.test(p)),
    ).toEqual([]);
  });

  it('names a missing entrypoint', () => {
    expect(() => bundleCode(join(ENTRYPOINTS, 'nope.ts'))).toThrow(/'.*nope\.ts' does not exist/);
  });

  it('reports esbuild errors with the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-bundle-broken-'));
    try {
      writeFileSync(join(dir, 'broken.ts'), "import { nothing } from './missing';\nexport const x = nothing;\n");
      expect(() => bundleCode(join(dir, 'broken.ts'))).toThrow(/broken\.ts.*Could not resolve "\.\/missing"/s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SDK behaviour inside bundles', () => {
  // The fixture sends commands to a local server that answers with canned AWS errors, and prints what
  // the SDK threw. It runs twice: bundled by bundleCode (schemas trimmed, errors pruned, environment
  // credentials) and bundled plainly with esbuild (the SDK as published). Both must agree.
  //
  // Bundling nine SDK clients twice is ~3 s of esbuild, so both bundles are kept across runs, each checked against
  // every file esbuild read for it (the fixture included): bundleCode's own disk cache, and plainBundle's.
  let dir: string;
  let vigil: string;
  let plain: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-bundle-sdk-'));
    // The fixture lives at a fixed path, so its bundles can be kept; the SDK resolves from there.
    mkdirSync(FIXTURE_CACHE, { recursive: true });
    const entry = join(FIXTURE_CACHE, 'fixture.mjs');
    if (!existsSync(entry) || readFileSync(entry, 'utf8') !== FIXTURE) atomicWrite(entry, FIXTURE);
    vigil = join(dir, 'vigil.js');
    const runCache = process.env['VIGIL_BUNDLE_CACHE'];
    process.env['VIGIL_BUNDLE_CACHE'] = join(FIXTURE_CACHE, 'vigil');
    try {
      writeFileSync(vigil, bundleCode(entry));
    } finally {
      if (runCache === undefined) delete process.env['VIGIL_BUNDLE_CACHE'];
      else process.env['VIGIL_BUNDLE_CACHE'] = runCache;
    }
    plain = join(dir, 'plain.js');
    writeFileSync(plain, plainBundle(entry));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs a bundle with Lambda-like credentials in the environment (nothing else from ours). */
  const run = (file: string, env: Record<string, string> = LAMBDA_ENV): Record<string, unknown> => {
    const out = childProcess.spawnSync(process.execPath, [file], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (out.status !== 0) throw new Error(`${file} failed: ${out.stderr}`);
    return JSON.parse(out.stdout) as Record<string, unknown>;
  };

  /** What the vigil bundle printed (run once per file: each run starts a process and loads the SDK). */
  let oursOnce: Record<string, unknown> | undefined;
  const ours = (): Record<string, unknown> => {
    oursOnce ??= run(vigil);
    return oursOnce;
  };

  it('throws the same errors (name, $fault, message, status, retries, classes) as the published SDK', () => {
    expect(ours()).toEqual(run(plain));
    // The names handlers compare, spelled out (IAM's modelled name differs from its wire code).
    const names = Object.fromEntries(Object.entries(ours()).map(([k, v]) => [k, (v as { name?: unknown }).name]));
    expect(names).toMatchObject({
      'ssm ParameterNotFound (class imported)': 'ParameterNotFound',
      'ssm ThrottlingException': 'ThrottlingException',
      'ddb ConditionalCheckFailedException (class imported)': 'ConditionalCheckFailedException',
      'ddb ResourceNotFoundException': 'ResourceNotFoundException',
      'iam NoSuchEntity (wire code)': 'NoSuchEntityException',
      'iam Throttling (unmodelled)': 'Throttling',
      'kms KMSInvalidStateException': 'KMSInvalidStateException',
      'ec2 InvalidPermission.NotFound (unmodelled)': 'InvalidPermission.NotFound',
      's3 NoSuchPublicAccessBlockConfiguration': 'NoSuchPublicAccessBlockConfiguration',
      's3control NoSuchPublicAccessBlockConfiguration': 'NoSuchPublicAccessBlockConfiguration',
      'sqs QueueDoesNotExist (query-compatible)': 'QueueDoesNotExist',
    });
    expect(ours()).toMatchObject({
      'ssm ParameterNotFound (class imported)': { serviceClass: true, ownClass: true },
      'ddb ConditionalCheckFailedException (class imported)': { ownClass: true },
      'ssm ThrottlingException': { fault: 'client', attempts: 2, serviceClass: true },
      'kms KMSInternalException': { fault: 'server', attempts: 2 },
    });
  });

  it('really prunes: unused error classes are gone, imported and renamed ones stay', () => {
    const code = readFileSync(vigil, 'utf8');
    const plainCode = readFileSync(plain, 'utf8');
    for (const pruned of [
      'ssm#ThrottlingException',
      'kms#KMSInvalidStateException',
      'dynamodb#ResourceNotFoundException',
    ]) {
      expect({ pruned, plain: plainCode.includes(pruned), vigil: code.includes(pruned) }).toEqual({
        pruned,
        plain: true,
        vigil: false,
      });
    }
    for (const kept of [
      'ssm#ParameterNotFound',
      'dynamodb#ConditionalCheckFailedException',
      'iam#NoSuchEntityException',
    ]) {
      expect({ kept, vigil: code.includes(kept) }).toEqual({ kept, vigil: true });
    }
    expect(code.length).toBeLessThan(plainCode.length / 2);
  });

  it('signs with the environment credentials, directly and as the master credentials of AssumeRole', () => {
    expect(ours()).toMatchObject({
      'default credentials': ['AKIDFROMENV'],
      'assume role': { sts: ['AKIDFROMENV'], service: ['ASIAASSUMED'] },
    });
  });

  it('says where credentials are expected when the environment has none', () => {
    const { AWS_ACCESS_KEY_ID: _key, AWS_SECRET_ACCESS_KEY: _secret, ...env } = LAMBDA_ENV;
    expect(run(vigil, { ...env, FIXTURE: 'no-credentials' })).toEqual({
      'no credentials': {
        name: 'CredentialsProviderError',
        message: expect.stringContaining('read credentials from the environment only'),
      },
    });
  });
});

describe("the SDK's package.json imports", () => {
  it('read only `version` (bundles keep only name and version)', () => {
    const uses = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.js')) {
          const text = readFileSync(path, 'utf8');
          if (!text.includes('package.json')) continue;
          for (const [, binding] of text.matchAll(/import (\w+) from "(?:\.\.?\/)+package\.json"/g)) {
            for (const [use] of text.matchAll(new RegExp(`\\b${binding}\\b(?:\\.\\w+|\\[)?`, 'g'))) uses.add(use);
          }
          expect(text).not.toMatch(/import\s*\{[^}]*\}\s*from\s*"(?:\.\.?\/)+package\.json"/);
        }
      }
    };
    const sdk = join(ROOT, 'node_modules', '@aws-sdk');
    for (const pkg of readdirSync(sdk)) {
      const dist = join(sdk, pkg, 'dist-es');
      if (readdirSync(join(sdk, pkg)).includes('dist-es')) walk(dist);
    }
    expect([...uses].sort()).toEqual(['packageInfo', 'packageInfo.version']);
  });
});

/** Where the SDK fixture and its two bundles are kept between runs (see 'SDK behaviour inside bundles'). */
const FIXTURE_CACHE = join(ROOT, 'node_modules', '.cache', 'vigil-test-sdk-fixture');

const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Write-then-rename: a concurrent run never reads half a file. */
function atomicWrite(target: string, data: Buffer | string): void {
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, target);
}

/**
 * `entry` bundled plainly by esbuild (the SDK as published), kept in FIXTURE_CACHE with the SHA-256 of every file
 * esbuild read for it: served again only while the options, esbuild's version and each of those files are unchanged.
 */
function plainBundle(entry: string): Buffer {
  const options = {
    absWorkingDir: dirname(entry),
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: BUNDLE_TARGET,
    format: 'cjs',
    minify: true,
    mainFields: ['module', 'main'],
  } satisfies BuildOptions;
  const key = sha256Hex(JSON.stringify({ options, esbuild: esbuildVersion }));
  const manifestFile = join(FIXTURE_CACHE, 'plain.json');
  let previous: string | undefined;
  try {
    const kept = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
      key: string;
      inputs: Record<string, string>;
      code: string;
    };
    previous = /^[0-9a-f]{64}$/.test(kept.code) ? kept.code : undefined;
    const unchanged = Object.entries(kept.inputs).every(
      ([input, hash]) => sha256Hex(readFileSync(resolve(options.absWorkingDir, input))) === hash,
    );
    if (kept.key === key && unchanged) {
      const code = readFileSync(join(FIXTURE_CACHE, `${kept.code}.js`));
      if (sha256Hex(code) === kept.code) return code;
    }
  } catch {
    // Nothing kept yet, or unreadable: build below.
  }
  const result = buildSync({ ...options, write: false, metafile: true, logLevel: 'silent' });
  const code = Buffer.from(result.outputFiles[0]!.contents);
  const inputs = Object.fromEntries(
    Object.keys(result.metafile.inputs)
      .sort()
      .map((input) => [input, sha256Hex(readFileSync(resolve(options.absWorkingDir, input)))]),
  );
  atomicWrite(join(FIXTURE_CACHE, `${sha256Hex(code)}.js`), code);
  atomicWrite(manifestFile, JSON.stringify({ key, inputs, code: sha256Hex(code) }));
  // One kept bundle, however often the SDK changed.
  if (previous && previous !== sha256Hex(code)) rmSync(join(FIXTURE_CACHE, `${previous}.js`), { force: true });
  return code;
}

/** A Lambda's environment as far as the SDK is concerned. */
const LAMBDA_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: 'AKIDFROMENV',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_SESSION_TOKEN: 'token',
  AWS_REGION: 'eu-west-1',
  // Keeps the published SDK's default chain from probing instance metadata in the no-credentials case.
  AWS_EC2_METADATA_DISABLED: 'true',
  // The SDK warns about Node 20 on stderr; irrelevant here.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/**
 * The fixture (ES module, bundled by the tests). Cases are named `<service> <error>`; each records what
 * handlers look at: `name`, `$fault`, message, HTTP status, attempts (the SDK's retry decision) and,
 * where the class is imported, `instanceof`.
 */
const FIXTURE = `
import { createServer } from 'node:http';

// The SDK's retry decisions (which errors, how many attempts) are what the cases compare, not its back-off: the
// waits run at once (any timer of 50 ms or more is due now), so a run takes well under a second instead of
// seconds of real back-off. Both bundles run with it.
const realSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = (fn, ms, ...args) => realSetTimeout(fn, ms >= 50 ? 0 : ms, ...args);
import { CloudTrailClient, GetTrailCommand } from '@aws-sdk/client-cloudtrail';
import { ConfigServiceClient, DescribeConfigurationRecorderStatusCommand } from '@aws-sdk/client-config-service';
import {
  ConditionalCheckFailedException, DynamoDBClient, DynamoDBServiceException, PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { EC2Client, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DetachUserPolicyCommand, GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { CancelKeyDeletionCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import { DeletePublicAccessBlockCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, ParameterNotFound, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';

const json = (status, type, message, headers = {}) => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.1', ...headers },
  body: JSON.stringify({ __type: type, message }),
});
const xml = (status, body) => ({ status, headers: { 'content-type': 'text/xml' }, body });
const queryError = (status, code) =>
  xml(status, '<ErrorResponse><Error><Type>Sender</Type><Code>' + code + '</Code><Message>about ' + code +
    '</Message></Error><RequestId>r</RequestId></ErrorResponse>');
const ec2Error = (code) =>
  xml(400, '<Response><Errors><Error><Code>' + code + '</Code><Message>gone</Message></Error></Errors>' +
    '<RequestID>r</RequestID></Response>');
const ASSUMED = xml(200, '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>' +
  '<Credentials><AccessKeyId>ASIAASSUMED</AccessKeyId><SecretAccessKey>s</SecretAccessKey>' +
  '<SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>' +
  '<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId>' +
  '</AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>');

let reply = json(500, 'Unset', 'unset');
const seen = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    const sts = body.includes('Action=AssumeRole');
    seen.push({ sts, keyId: /Credential=([^/]+)\\//.exec(req.headers.authorization ?? '')?.[1] });
    const r = sts ? ASSUMED : reply;
    res.writeHead(r.status, { 'x-amzn-requestid': 'req-1', ...r.headers });
    res.end(r.body);
  });
});

const describe = (err, classes) => ({
  name: err.name,
  fault: err.$fault,
  message: err.message,
  status: err.$metadata?.httpStatusCode,
  attempts: err.$metadata?.attempts,
  ...classes,
});

async function errorsOf(endpoint) {
  const c = {
    endpoint,
    region: 'eu-west-1',
    maxAttempts: 2,
    credentials: { accessKeyId: 'AKIDSTATIC', secretAccessKey: 's' },
  };
  const ssm = new SSMClient(c);
  const ddb = new DynamoDBClient(c);
  const iam = new IAMClient(c);
  const kms = new KMSClient(c);
  const s3 = new S3Client({ ...c, forcePathStyle: true });
  // S3 Control puts the account id in the host name, which an IP address cannot take: send it to 127.0.0.1 anyway.
  const s3control = new S3ControlClient({ ...c, endpoint: endpoint.replace('127.0.0.1', 'localhost') });
  s3control.middlewareStack.add(
    (next) => (args) => { args.request.hostname = '127.0.0.1'; return next(args); },
    { step: 'finalizeRequest', name: 'toLoopback' },
  );
  const ssmClasses = (e) => ({
    serviceClass: e instanceof SSMServiceException,
    ownClass: e instanceof ParameterNotFound,
  });
  const ddbClasses = (e) => ({
    serviceClass: e instanceof DynamoDBServiceException,
    ownClass: e instanceof ConditionalCheckFailedException,
  });
  const getParameter = () => ssm.send(new GetParameterCommand({ Name: 'p' }));
  const putItem = () => ddb.send(new PutItemCommand({ TableName: 't', Item: {} }));
  const ddbError = (name, message) => json(400, 'com.amazonaws.dynamodb.v20120810#' + name, message);
  const adminPolicy = 'arn:aws:iam::aws:policy/AdministratorAccess';
  const cases = [
    ['ssm ParameterNotFound (class imported)', json(400, 'ParameterNotFound', 'not found'), getParameter, ssmClasses],
    ['ssm ThrottlingException', json(400, 'ThrottlingException', 'Rate exceeded'), getParameter, ssmClasses],
    ['ssm unmodelled', json(400, 'SomethingNewException', 'new'), getParameter, ssmClasses],
    ['ssm InternalServerError', json(500, 'InternalServerError', 'boom'), getParameter, ssmClasses],
    [
      'ddb ConditionalCheckFailedException (class imported)',
      ddbError('ConditionalCheckFailedException', 'The conditional request failed'),
      putItem,
      ddbClasses,
    ],
    ['ddb ResourceNotFoundException', ddbError('ResourceNotFoundException', 'not found'), putItem, ddbClasses],
    [
      'ddb ProvisionedThroughputExceededException',
      ddbError('ProvisionedThroughputExceededException', 'slow down'),
      putItem,
      ddbClasses,
    ],
    [
      'iam NoSuchEntity (wire code)',
      queryError(404, 'NoSuchEntity'),
      () => iam.send(new DetachUserPolicyCommand({ UserName: 'u', PolicyArn: adminPolicy })),
    ],
    [
      'iam Throttling (unmodelled)',
      queryError(400, 'Throttling'),
      () => iam.send(new GetUserCommand({ UserName: 'u' })),
    ],
    [
      'kms KMSInvalidStateException',
      json(400, 'KMSInvalidStateException', 'pending deletion'),
      () => kms.send(new CancelKeyDeletionCommand({ KeyId: 'k' })),
    ],
    [
      'kms KMSInternalException',
      json(500, 'KMSInternalException', 'internal'),
      () => kms.send(new CancelKeyDeletionCommand({ KeyId: 'k' })),
    ],
    [
      'ec2 InvalidPermission.NotFound (unmodelled)',
      ec2Error('InvalidPermission.NotFound'),
      () => new EC2Client(c).send(new RevokeSecurityGroupIngressCommand({ GroupId: 'g', SecurityGroupRuleIds: ['r'] })),
    ],
    [
      's3 NoSuchPublicAccessBlockConfiguration',
      xml(404, '<Error><Code>NoSuchPublicAccessBlockConfiguration</Code><Message>none</Message></Error>'),
      () => s3.send(new GetPublicAccessBlockCommand({ Bucket: 'b' })),
    ],
    [
      's3control NoSuchPublicAccessBlockConfiguration',
      queryError(404, 'NoSuchPublicAccessBlockConfiguration'),
      () => s3control.send(new DeletePublicAccessBlockCommand({ AccountId: '123456789012' })),
    ],
    [
      'events ResourceNotFoundException',
      json(400, 'ResourceNotFoundException', 'Rule r does not exist.'),
      () => new EventBridgeClient(c).send(new DescribeRuleCommand({ Name: 'r' })),
    ],
    [
      'cloudtrail TrailNotFoundException',
      json(400, 'TrailNotFoundException', 'Unknown trail'),
      () => new CloudTrailClient(c).send(new GetTrailCommand({ Name: 't' })),
    ],
    [
      'config NoSuchConfigurationRecorderException',
      json(400, 'NoSuchConfigurationRecorderException', 'none'),
      () => new ConfigServiceClient(c).send(new DescribeConfigurationRecorderStatusCommand({})),
    ],
    [
      'sqs QueueDoesNotExist (query-compatible)',
      json(400, 'com.amazonaws.sqs#QueueDoesNotExist', 'The specified queue does not exist.', {
        'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender',
        'content-type': 'application/x-amz-json-1.0',
      }),
      () => new SQSClient(c).send(new SendMessageCommand({ QueueUrl: endpoint + '/123456789012/q', MessageBody: 'b' })),
    ],
  ];
  const results = {};
  for (const [id, response, call, classes = () => ({})] of cases) {
    reply = response;
    seen.length = 0;
    try {
      await call();
      results[id] = 'no error';
    } catch (err) {
      results[id] = { ...describe(err, classes(err)), requests: seen.length };
    }
  }
  return results;
}

async function credentialsOf(endpoint) {
  const results = {};
  const getParameter = (config) =>
    new SSMClient({ endpoint, region: 'eu-west-1', ...config }).send(new GetParameterCommand({ Name: 'p' }));
  reply = json(400, 'ParameterNotFound', 'x');
  seen.length = 0;
  await getParameter({}).catch(() => undefined);
  results['default credentials'] = seen.map((s) => s.keyId);
  seen.length = 0;
  const credentials = fromTemporaryCredentials({
    params: { RoleArn: 'arn:aws:iam::123456789012:role/r', RoleSessionName: 's' },
    clientConfig: { region: 'eu-west-1', endpoint },
  });
  await getParameter({ credentials }).catch(() => undefined);
  results['assume role'] = {
    sts: seen.filter((s) => s.sts).map((s) => s.keyId),
    service: seen.filter((s) => !s.sts).map((s) => s.keyId),
  };
  return results;
}

async function main() {
  if (process.env.FIXTURE === 'no-credentials') {
    const ssm = new SSMClient({ region: 'eu-west-1', maxAttempts: 1 });
    const err = await ssm.send(new GetParameterCommand({ Name: 'p' })).catch((e) => e);
    process.stdout.write(JSON.stringify({ 'no credentials': { name: err.name, message: err.message } }));
    return;
  }
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = 'http://127.0.0.1:' + server.address().port;
  const results = { ...(await errorsOf(endpoint)), ...(await credentialsOf(endpoint)) };
  server.close();
  process.stdout.write(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;

describe('prebundle', () => {
  // These tests are about the builder process itself: no disk cache may answer for it.
  const runCache = process.env['VIGIL_BUNDLE_CACHE'];
  beforeEach(() => {
    process.env['VIGIL_BUNDLE_CACHE'] = 'off';
  });
  afterEach(() => {
    if (runCache === undefined) delete process.env['VIGIL_BUNDLE_CACHE'];
    else process.env['VIGIL_BUNDLE_CACHE'] = runCache;
  });

  /** A fresh copy of build/bundle.ts, with nothing memoized yet. */
  const fresh = (): typeof bundleModule => {
    let mod: typeof bundleModule | undefined;
    jest.isolateModules(() => {
      mod = require('../../build/bundle');
    });
    return mod!;
  };

  it('bundles every entry in one builder process, byte for byte what an earlier esbuild run gave', () => {
    // The earlier bytes come from the run's cache (another process's esbuild run, or this file's when the cache was
    // cold): esbuild runs again here, in a new process, and must give them exactly.
    const some = ['approve', 'digest'].map((n) => join(ENTRYPOINTS, `${n}.ts`));
    const oneAtATime = some.map((e) => bundleCode(e));
    const b = fresh();
    const spawn = jest.spyOn(childProcess, 'spawnSync');
    try {
      b.prebundle(some);
      expect(spawn).toHaveBeenCalledTimes(1);
      const batched = some.map((e) => b.bundleCode(e));
      expect(spawn).toHaveBeenCalledTimes(1);
      expect(batched.map((c, i) => c.equals(oneAtATime[i]!))).toEqual([true, true]);
    } finally {
      spawn.mockRestore();
    }
  });

  it('names every entry that does not build, and every one that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-prebundle-test-'));
    const broken = join(dir, 'broken.ts');
    const fine = join(dir, 'fine.ts');
    writeFileSync(broken, 'export const handler = ;\n');
    writeFileSync(fine, 'export const handler = async () => 1;\n');
    const failure = (() => {
      try {
        fresh().prebundle([fine, broken]);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(failure).toMatch(/broken\.ts: .*broken\.ts:1: /s);
    expect(failure).not.toContain('fine.ts');
    expect(() => fresh().prebundle([join(dir, 'nope.ts')])).toThrow(/handler entrypoints do not exist: .*nope\.ts/);
    rmSync(dir, { recursive: true, force: true });
  });
});
