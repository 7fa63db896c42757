/**
 * `npm run tfc:upload` against a fake Terraform Cloud API on 127.0.0.1: a stateful server that knows
 * workspaces, creates configuration versions, takes uploads on their pre-signed URL and reports them
 * `uploaded`, with switches for the failures the command must survive.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, parseUploadArgs, tokenVariable, type UploadIo } from '../../scripts/tfc-upload';
import { packedFiles, tarGzFolder } from '../../scripts/tfc/tar';

interface Call {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

interface FakeTfc {
  readonly url: string;
  readonly calls: Call[];
  /** Uploaded archives by workspace name. */
  readonly uploads: Map<string, Buffer>;
  /** Workspaces that exist, by name. */
  readonly workspaces: Set<string>;
  /** Answer the next N API calls with 429 and `Retry-After: 2`. */
  throttleNext: number;
  /** Configuration versions of these workspaces end `errored`. */
  readonly erroring: Set<string>;
  close(): Promise<void>;
}

async function startFakeTfc(names: readonly string[]): Promise<FakeTfc> {
  const calls: Call[] = [];
  const uploads = new Map<string, Buffer>();
  const cvs = new Map<string, { workspace: string; status: string }>();
  const state = { throttleNext: 0 };
  const erroring = new Set<string>();
  const workspaces = new Set(names);
  let server: Server;
  let url = '';
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const call = { method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks) };
      calls.push(call);
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/vnd.api+json', ...headers });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      if (call.path.startsWith('/api/') && state.throttleNext > 0) {
        state.throttleNext--;
        return send(429, { errors: [{ status: '429', title: 'Too many requests' }] }, { 'retry-after': '2' });
      }
      let m = /^\/api\/v2\/organizations\/acme\/workspaces\/([^/]+)$/.exec(call.path);
      if (m && call.method === 'GET') {
        const name = decodeURIComponent(m[1]!);
        return workspaces.has(name)
          ? send(200, { data: { id: `ws-${name}`, type: 'workspaces', attributes: { name } } })
          : send(404, { errors: [{ status: '404', title: 'not found' }] });
      }
      m = /^\/api\/v2\/workspaces\/ws-([^/]+)\/configuration-versions$/.exec(call.path);
      if (m && call.method === 'POST') {
        const id = `cv-${cvs.size + 1}`;
        cvs.set(id, { workspace: m[1]!, status: 'pending' });
        return send(201, {
          data: {
            id,
            type: 'configuration-versions',
            attributes: { status: 'pending', 'upload-url': `${url}/upload/${id}` },
          },
        });
      }
      m = /^\/upload\/(cv-\d+)$/.exec(call.path);
      if (m && call.method === 'PUT') {
        const cv = cvs.get(m[1]!)!;
        uploads.set(cv.workspace, call.body);
        cv.status = erroring.has(cv.workspace) ? 'errored' : 'uploaded';
        return send(200);
      }
      m = /^\/api\/v2\/configuration-versions\/(cv-\d+)$/.exec(call.path);
      if (m && call.method === 'GET') {
        const cv = cvs.get(m[1]!)!;
        return send(200, {
          data: {
            id: m[1],
            attributes: {
              status: cv.status,
              ...(cv.status === 'errored' ? { 'error-message': 'archive could not be unpacked' } : {}),
            },
          },
        });
      }
      return send(599, { errors: [{ title: `fake TFC does not know ${call.method} ${call.path}` }] });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: FakeTfc = {
    url,
    calls,
    uploads,
    workspaces,
    erroring,
    get throttleNext() {
      return state.throttleNext;
    },
    set throttleNext(n: number) {
      state.throttleNext = n;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  return fake;
}

const ASSET =
  'assets/approval-timeouts_code_72F522F5/F9B751648C7F559DB2566B9152CF9B03/acme-security-vigil-approval-timeouts.zip';
const STACKS = ['member-111111111111', 'security', 'org-trail', 'log-archive', 'member-222222222222'];
const DEPLOY_ORDER = ['security', 'log-archive', 'org-trail', 'member-111111111111', 'member-222222222222'];

/** A synthesized output folder; the security stack carries an asset and local Terraform leftovers. */
function synthesized(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tfc-'));
  for (const id of STACKS) {
    mkdirSync(join(dir, 'stacks', id), { recursive: true });
    writeFileSync(join(dir, 'stacks', id, 'cdk.tf.json'), JSON.stringify({ resource: { id } }));
  }
  // Longer than tar's 100-byte name field, as real asset paths with a long name prefix are.
  const asset = join(dir, 'stacks', 'security', ASSET.split('/').slice(0, -1).join('/'));
  mkdirSync(asset, { recursive: true });
  writeFileSync(join(dir, 'stacks', 'security', ASSET), Buffer.alloc(70_000, 7));
  mkdirSync(join(dir, 'stacks', 'security', '.terraform', 'providers'), { recursive: true });
  writeFileSync(join(dir, 'stacks', 'security', '.terraform', 'providers', 'aws'), 'binary');
  writeFileSync(join(dir, 'stacks', 'security', 'terraform.tfstate'), '{"secret": true}');
  writeFileSync(join(dir, 'stacks', 'security', 'tfplan'), 'plan');
  return dir;
}

function io(env: NodeJS.ProcessEnv = {}) {
  const lines: string[] = [];
  const sleeps: number[] = [];
  const value: UploadIo = {
    out: (l) => lines.push(l),
    env: { TFE_TOKEN: 'tok-123', ...env },
    fetch: (...args) => fetch(...args),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  return { io: value, lines, sleeps };
}

/** Unpacks an archive with the system tar; returns path → contents. */
function unpack(archive: Buffer): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tfc-unpack-'));
  writeFileSync(join(dir, 'a.tar.gz'), archive);
  mkdirSync(join(dir, 'out'));
  execFileSync('tar', ['-xzf', join(dir, 'a.tar.gz'), '-C', join(dir, 'out')]);
  const files = packedFiles(join(dir, 'out'));
  return Object.fromEntries(
    files.map((f) => [
      f,
      readFileSync(join(dir, 'out', f))
        .toString('base64')
        .slice(0, 40),
    ]),
  );
}

const ARGS = ['--organization', 'acme', '--workspace-pattern', 'vigil-{stack}'];

describe('tfc:upload', () => {
  let tfc: FakeTfc;
  let dir: string;
  beforeEach(async () => {
    tfc = await startFakeTfc(STACKS.map((s) => `vigil-${s}`));
    dir = synthesized();
  });
  afterEach(() => tfc.close());

  it('uploads every stack, in deploy order, as a configuration version that queues a run', async () => {
    const run = io();
    const code = await main([...ARGS, '--dir', dir, '--hostname', tfc.url, '--parallelism', '1'], run.io);

    expect(code).toBe(0);
    const creates = tfc.calls.filter((c) => c.method === 'POST');
    expect(creates.map((c) => c.path)).toEqual(
      DEPLOY_ORDER.map((s) => `/api/v2/workspaces/ws-vigil-${s}/configuration-versions`),
    );
    expect(JSON.parse(creates[0]!.body.toString())).toEqual({
      data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': true, speculative: false } },
    });
    const api = tfc.calls.filter((c) => c.path.startsWith('/api/'));
    expect(new Set(api.map((c) => c.headers['authorization']))).toEqual(new Set(['Bearer tok-123']));
    expect(new Set(api.map((c) => c.headers['content-type']))).toEqual(new Set(['application/vnd.api+json']));
    // The pre-signed upload URL is the credential: the token never goes there.
    const puts = tfc.calls.filter((c) => c.method === 'PUT');
    expect(puts.map((c) => c.headers['authorization'])).toEqual(DEPLOY_ORDER.map(() => undefined));
    expect(run.lines.at(-1)).toMatch(/^member-222222222222\s+vigil-member-222222222222\s+uploaded\s+cv-5$/);
  });

  it('uploads exactly the stack folder: JSON and assets, never .terraform/, state or saved plans', async () => {
    await main([...ARGS, '--dir', dir, '--hostname', tfc.url, '--stacks', 'security'], io().io);

    const files = unpack(tfc.uploads.get('vigil-security')!);
    expect(ASSET.length).toBeGreaterThan(100);
    expect(Object.keys(files)).toEqual([ASSET, 'cdk.tf.json']);
    expect(files['cdk.tf.json']).toBe(Buffer.from(JSON.stringify({ resource: { id: 'security' } })).toString('base64'));
  });

  it('packs the same folder to the same bytes', () => {
    const stack = join(dir, 'stacks', 'security');
    expect(tarGzFolder(stack).equals(tarGzFolder(stack))).toBe(true);
  });

  it('--speculative queues a plan-only run; --no-queue only uploads', async () => {
    await main([...ARGS, '--dir', dir, '--hostname', tfc.url, '--stacks', 'security', '--speculative'], io().io);
    await main([...ARGS, '--dir', dir, '--hostname', tfc.url, '--stacks', 'security', '--no-queue'], io().io);

    const bodies = tfc.calls.filter((c) => c.method === 'POST').map((c) => JSON.parse(c.body.toString()));
    expect(bodies.map((b) => b.data.attributes)).toEqual([
      { 'auto-queue-runs': true, speculative: true },
      { 'auto-queue-runs': false, speculative: false },
    ]);
  });

  it('a missing workspace fails that stack with how to fix it; the others still upload', async () => {
    tfc.workspaces.delete('vigil-org-trail');
    const run = io();
    const code = await main([...ARGS, '--dir', dir, '--hostname', tfc.url], run.io);

    expect(code).toBe(1);
    expect([...tfc.uploads.keys()].sort()).toEqual(
      DEPLOY_ORDER.filter((s) => s !== 'org-trail')
        .map((s) => `vigil-${s}`)
        .sort(),
    );
    expect(run.lines).toContain(
      '  org-trail: workspace acme/vigil-org-trail does not exist (or the token cannot see it): create it first ' +
        '(one workspace per stack, named by the backend workspacePattern) and give the token access',
    );
  });

  it('retries a throttled call after Retry-After', async () => {
    tfc.throttleNext = 2;
    const run = io();
    const code = await main([...ARGS, '--dir', dir, '--hostname', tfc.url, '--stacks', 'log-archive'], run.io);

    expect(code).toBe(0);
    expect(run.sleeps).toEqual([2000, 2000]);
    expect(tfc.uploads.has('vigil-log-archive')).toBe(true);
  });

  it('reports a configuration version that ends errored', async () => {
    tfc.erroring.add('vigil-security');
    const run = io();
    const code = await main([...ARGS, '--dir', dir, '--hostname', tfc.url, '--stacks', 'security'], run.io);

    expect(code).toBe(1);
    expect(run.lines).toContain('  security: configuration version cv-1 errored: archive could not be unpacked');
  });

  it("without a token it names TFE_TOKEN and Terraform's own host variable, and calls nothing", async () => {
    const run = io({ TFE_TOKEN: '' });
    const code = await main([...ARGS, '--dir', dir, '--hostname', 'tfe.example-corp.com'], run.io);

    expect(code).toBe(2);
    expect(run.lines).toEqual([
      'no API token: set TFE_TOKEN (or TF_TOKEN_tfe_example__corp_com) to a team or user token that may queue plans',
    ]);
    expect(tfc.calls).toEqual([]);
  });

  it("reads Terraform's TF_TOKEN_<host> variable", async () => {
    const host = new URL(tfc.url).hostname;
    const run = io({ TFE_TOKEN: '', [tokenVariable(host)]: 'host-token' });
    await main([...ARGS, '--dir', dir, '--hostname', tfc.url, '--stacks', 'log-archive'], run.io);

    expect(tfc.calls[0]!.headers['authorization']).toBe('Bearer host-token');
  });

  it('takes organization and pattern from a tfc backend in the inventory, and refuses another backend', async () => {
    const inventory = JSON.parse(readFileSync(join(__dirname, '../../config/org.json'), 'utf8'));
    const file = join(dir, 'org.json');
    writeFileSync(file, JSON.stringify({ ...inventory, backend: { type: 'local' } }));
    const refused = io({ VIGIL_INVENTORY: file });
    expect(await main(['--dir', dir], refused.io)).toBe(2);
    expect(refused.lines[0]).toMatch(
      /has backend type 'local', not 'tfc'.*or pass --organization and --workspace-pattern$/,
    );

    writeFileSync(
      file,
      JSON.stringify({
        ...inventory,
        backend: { type: 'tfc', organization: 'acme', workspacePattern: 'vigil-{stack}', hostname: tfc.url },
      }),
    );
    const ok = io({ VIGIL_INVENTORY: file });
    expect(await main(['--dir', dir, '--stacks', 'security'], ok.io)).toBe(0);
    expect(tfc.uploads.has('vigil-security')).toBe(true);
  });

  it('--dry-run lists the workspace and files of every stack without calling the API', async () => {
    const run = io();
    expect(await main([...ARGS, '--dir', dir, '--dry-run'], run.io)).toBe(0);

    expect(run.lines[0]).toBe(`security → acme/vigil-security: ${ASSET}, cdk.tf.json`);
    expect(run.lines[1]).toBe('log-archive → acme/vigil-log-archive: cdk.tf.json');
    expect(tfc.calls).toEqual([]);
  });

  it('skips the locally applied tfc stack, which manages the workspaces, with how to apply it', async () => {
    mkdirSync(join(dir, 'stacks', 'tfc'));
    writeFileSync(join(dir, 'stacks', 'tfc', 'cdk.tf.json'), '{}');
    const run = io();

    expect(await main([...ARGS, '--dir', dir, '--hostname', tfc.url], run.io)).toBe(0);
    expect(run.lines[0]).toBe(
      'tfc: not uploaded: its workspace runs locally (Terraform Cloud keeps only its state); ' +
        'apply it with npm run deploy -- --apply --stacks tfc',
    );
    expect([...tfc.uploads.keys()].sort()).toEqual(STACKS.map((s) => `vigil-${s}`).sort());
    expect(tfc.calls.filter((c) => c.path.includes('vigil-tfc'))).toEqual([]);
  });

  it('rejects usage mistakes with the usage line', () => {
    expect(() => parseUploadArgs(['--speculative', '--no-queue'])).toThrow(
      /choose one of --speculative and --no-queue/,
    );
    expect(() => parseUploadArgs(['--workspace-pattern', 'vigil'])).toThrow(/must contain \{stack\}/);
    expect(() => parseUploadArgs(['--parallelism', '0'])).toThrow(/whole number ≥ 1/);
    expect(() => parseUploadArgs(['--bogus'])).toThrow(/unknown argument '--bogus'\nusage: npm run tfc:upload/);
  });
});
