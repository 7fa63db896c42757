/** The registry and the executor's table agree: every call any action can plan, undo or read is executable. */
import { isSupported, OPERATIONS } from '../../../../handlers/adapters/remediation/execute';
import { iamActionFor, remediationFor } from '../../../../handlers/core/remediation/registry';
import type { PlannedCall } from '../../../../handlers/core/remediation/types';
import { loadRemediationEvent } from '../../../fixtures/remediation/load';
import { SCENARIOS } from '../../core/remediation/scenarios';

const CALLS: Array<{ kind: 'plan' | 'undo' | 'read'; action: string; call: PlannedCall }> = SCENARIOS.flatMap((s) => {
  const def = remediationFor(s.action);
  const target = def.target(loadRemediationEvent(s.fixture), s.ctx);
  if ('refuse' in target) throw new Error(target.refuse);
  const plan = def.plan(target, s.before);
  if (plan.kind !== 'act') throw new Error(`${s.action}: expected a fix`);
  const tag = (kind: 'plan' | 'undo' | 'read') => (call: PlannedCall) => ({ kind, action: s.action, call });
  return [
    ...plan.calls.map(tag('plan')),
    ...def.undo(JSON.parse(JSON.stringify({ ...plan.snapshot, ...(s.undoFacts ?? {}) }))).map(tag('undo')),
    ...def.stateReads(target).map(tag('read')),
  ];
});

describe('registry and executor', () => {
  it.each(CALLS.map((c) => [c.action, c.kind, `${c.call.service}:${c.call.operation}`, c] as const))(
    '%s %s call %s is in the executor table and its IAM action is declared',
    (_action, kind, _op, { action, call }) => {
      const def = remediationFor(action as never);
      const declared = kind === 'plan' ? def.iamActions : kind === 'undo' ? def.undoIamActions : def.readIamActions;

      expect(isSupported(call)).toBe(true);
      expect(declared).toContain(iamActionFor(call));
    },
  );

  it('has no operation in its table that no action uses', () => {
    const used = new Set(CALLS.map((c) => `${c.call.service}:${c.call.operation}`));
    const table = Object.entries(OPERATIONS).flatMap(([service, entry]) =>
      Object.keys(entry.commands).map((op) => `${service}:${op}`),
    );

    expect(table.filter((op) => !used.has(op))).toEqual([]);
  });
});
