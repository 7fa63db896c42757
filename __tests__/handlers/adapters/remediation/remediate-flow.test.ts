/**
 * Every action end to end against mocked member-account APIs: state reader → pure plan → executor.
 * For each: the precise fix, zero writes on a second run, dry-run, a typed failure, verify, undo.
 */
import { IAMServiceException } from '@aws-sdk/client-iam';
import { makeRemediationExecutor } from '../../../../handlers/adapters/remediation/execute';
import { makeStateReader } from '../../../../handlers/adapters/remediation/read-state';
import { remediationFor } from '../../../../handlers/core/remediation/registry';
import type { RemediationTarget } from '../../../../handlers/core/remediation/types';
import { RemediationCallError } from '../../../../handlers/errors';
import { loadRemediationEvent } from '../../../fixtures/remediation/load';
import { type Mocks, mockAll, SDK_SCENARIOS, type SdkScenario } from './sdk-scenarios';
import 'aws-sdk-client-mock-jest';

const mocks = mockAll();
const executor = makeRemediationExecutor({ namePrefix: 'vigil' });
const reader = makeStateReader({ namePrefix: 'vigil' });

beforeEach(() => {
  for (const m of Object.values(mocks)) m.reset();
});

const READ = /^(Describe|Get|List|Lookup)/;
/** Every mutating command sent to any mock so far, in order, as `Operation` + input. */
const writes = () =>
  Object.values(mocks)
    .flatMap((m) => m.calls())
    .sort((a, b) => a.callId - b.callId)
    .map((c) => c.args[0] as { constructor: { name: string }; input: Record<string, unknown> })
    .map((cmd) => ({ operation: cmd.constructor.name.replace(/Command$/, ''), input: cmd.input }))
    .filter((c) => !READ.test(c.operation));
const expected = (cmds: SdkScenario['fix']) =>
  cmds.map((c) => ({ operation: c.command.name.replace(/Command$/, ''), input: c.input }));

async function remediate(sc: SdkScenario, dryRun = false) {
  const def = remediationFor(sc.action);
  const result = def.target(loadRemediationEvent(sc.fixture), sc.ctx);
  if ('refuse' in result) throw new Error(result.refuse);
  const target: RemediationTarget = result;
  const plan = def.plan(target, await reader.read(target));
  const execution =
    plan.kind === 'act'
      ? await executor.execute({ accountId: target.accountId, calls: plan.calls, dryRun })
      : undefined;
  return { def, target, plan, execution };
}

describe.each(SDK_SCENARIOS.map((sc) => [sc.action, sc] as const))('%s', (_action, sc) => {
  it('makes exactly the fix: the right commands with the right input, in order', async () => {
    sc.before(mocks);

    const { plan, execution } = await remediate(sc);

    expect(plan.kind).toBe('act');
    expect(execution?.calls.every((c) => c.outcome === 'done')).toBe(true);
    expect(writes()).toEqual(expected(sc.fix));
    for (const c of sc.fix) expect(mocks[c.client]).toHaveReceivedCommandWith(c.command, c.input);
  });

  it('verifies the fix from a fresh read, and a second run makes zero writes', async () => {
    sc.after(mocks);

    const { def, target, plan, execution } = await remediate(sc);

    expect(plan.kind).toBe('already-compliant');
    expect(execution).toBeUndefined();
    expect(writes()).toEqual([]);
    expect(def.verify(target, await reader.read(target)).fixed).toBe(true);
  });

  it('in dry-run, reports the calls it would make and sends none', async () => {
    sc.before(mocks);

    const { plan, execution } = await remediate(sc, true);

    expect(execution).toEqual({
      dryRun: true,
      calls: (plan.kind === 'act' ? plan.calls : []).map((call) => ({ call, outcome: 'would-call' })),
    });
    expect(execution?.calls).toHaveLength(sc.fix.length);
    expect(writes()).toEqual([]);
  });

  it('fails with a typed, permanent RemediationCallError when AWS denies the fix', async () => {
    sc.before(mocks);
    const first = sc.fix[0]!;
    const denied = new IAMServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message: 'User is not authorized to perform this action with an explicit deny in a service control policy',
    });
    (mocks[first.client] as Mocks['iam']).on(first.command).rejects(denied);

    const failure = await remediate(sc).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(RemediationCallError);
    expect(failure).toMatchObject({
      code: 'AccessDenied',
      permanent: true,
      index: 0,
      completed: [],
      operation: first.command.name.replace(/Command$/, ''),
      accountId: loadRemediationEvent(sc.fixture).account,
      cause: denied,
    });
    expect(writes()).toHaveLength(1); // nothing after the failed call
  });

  it('undoes with the inverse commands, from the snapshot and what verify learned after the change', async () => {
    sc.before(mocks);
    const { def, target, plan } = await remediate(sc);
    if (plan.kind !== 'act') throw new Error('expected a fix');
    // As the pipeline does: re-read, verify, and keep the facts only the change could tell (a created id).
    sc.after(mocks);
    const verdict = def.verify(target, await reader.read(target));

    const undone = await executor.execute({
      accountId: target.accountId,
      calls: def.undo(JSON.parse(JSON.stringify({ ...plan.snapshot, ...verdict.undoFacts }))),
    });

    expect(undone.calls.every((c) => c.outcome === 'done')).toBe(true);
    expect(writes()).toEqual([...expected(sc.fix), ...expected(sc.undo)]);
  });
});
