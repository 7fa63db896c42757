/**
 * remove-bus-policy-statement: after a PutPermission on vigil's central bus (by anyone but the deploy role,
 * which the detection's pattern excludes), removes exactly the statements that call added, by statement id,
 * with one `RemovePermission { EventBusName, StatementId }` each. The statement vigil deploys
 * (`CENTRAL_BUS_POLICY_SID`: the organization's forwarder roles may put events) is never removed.
 *
 * - Legacy PutPermission names one statement (`statementId`, with `principal` / `action` / `condition`).
 * - PutPermission with `policy` replaces the whole policy: every statement in it but vigil's own is one the
 *   call added (the central bus admits nothing else). A statement without a Sid cannot be removed by id:
 *   refused. A policy that holds only vigil's statement (possibly rewritten) has nothing to remove: refused,
 *   for a redeploy of the security stack, which owns that statement.
 * - RemovePermission on the central bus (vigil's statement taken away) and changes to other buses are not
 *   this action's: refused (a redeploy restores the former; the latter belongs to the bus owner).
 *
 * Re-read with DescribeEventBus: statements already gone are compliant. The snapshot keeps the whole policy as
 * it was; undo (approval-gated) puts it back with PutPermission { Policy }.
 */
import { CENTRAL_BUS_POLICY_SID } from '../../../../config/naming';
import { parsePolicyDocument } from '../../../../rules/predicates';
import type { RemediationActionDef, RemediationTarget } from '../types';
import {
  accountOf,
  act,
  asArray,
  call,
  compliant,
  detail,
  isObject,
  parseArn,
  refuse,
  refusePlan,
  requestOf,
  str,
  targetOf,
} from './support';

/** The bus now (DescribeEventBus). */
export interface BusPolicyState {
  /** False when DescribeEventBus answers ResourceNotFoundException. */
  readonly exists: boolean;
  /** The resource policy (JSON); absent when the bus has none. */
  readonly policy?: string;
}

const ACTION = 'remove-bus-policy-statement';

/** The Sids of a policy document's statements. */
const sidsOf = (policy: string | undefined): string[] =>
  asArray(parsePolicyDocument(policy ?? '')?.['Statement'])
    .filter(isObject)
    .flatMap((s) => (typeof s['Sid'] === 'string' ? [s['Sid']] : []));

const addedOf = (target: RemediationTarget): string[] =>
  asArray(target.details['statementIds']).filter((v): v is string => typeof v === 'string');

export const removeBusPolicyStatement: RemediationActionDef<BusPolicyState> = {
  id: ACTION,
  title: "Remove the statements someone added to the central bus's policy, keeping vigil's own",
  iamActions: ['events:RemovePermission'],
  readIamActions: ['events:DescribeEventBus'],
  undoIamActions: ['events:PutPermission'],

  target(event, ctx) {
    const name = event.detail.eventName;
    if (name !== 'PutPermission') {
      return refuse(`${name} adds no statement (vigil's own statement is put back by redeploying the security stack)`);
    }
    const central = parseArn(ctx.centralBusArn);
    const busName = central?.resource.replace(/^event-bus\//, '') ?? '';
    const request = requestOf(event);
    const bus = str(request['eventBusName']) ?? 'default';
    const sameBus = bus === busName || bus === ctx.centralBusArn;
    if (!central || !sameBus || accountOf(event) !== central.account) {
      return refuse(`bus ${bus} in ${accountOf(event)} is not vigil's central bus; its owner decides its policy`);
    }
    let statementIds: string[];
    if (request['policy'] !== undefined) {
      const statements = asArray(parsePolicyDocument(request['policy'])?.['Statement']).filter(isObject);
      if (statements.length === 0) return refuse('the PutPermission policy cannot be read');
      if (statements.some((s) => str(s['Sid']) === undefined)) {
        return refuse('the PutPermission policy has a statement without a Sid; it cannot be removed by id');
      }
      statementIds = statements.map((s) => String(s['Sid'])).filter((sid) => sid !== CENTRAL_BUS_POLICY_SID);
    } else {
      const sid = str(request['statementId']);
      if (!sid) return refuse('PutPermission event names no statement id');
      statementIds = sid === CENTRAL_BUS_POLICY_SID ? [] : [sid];
    }
    if (statementIds.length === 0) {
      return refuse(
        `the call only (re)wrote vigil's own statement ${CENTRAL_BUS_POLICY_SID}; redeploy the security stack to restore it`,
      );
    }
    return targetOf(ACTION, event, central.region, busName, { busName, statementIds });
  },

  stateReads(target) {
    return [call('events', 'DescribeEventBus', { Name: detail(target, 'busName') }, target.region)];
  },

  plan(target, state) {
    const bus = detail(target, 'busName');
    if (!state.exists) return refusePlan(target, `the central bus ${bus} does not exist; redeploy the security stack`);
    const present = sidsOf(state.policy);
    const remove = addedOf(target).filter((sid) => present.includes(sid));
    if (remove.length === 0) {
      return compliant(target, `${addedOf(target).join(', ')} no longer in the policy of ${bus}`);
    }
    return act(
      target,
      `remove statement${remove.length === 1 ? '' : 's'} ${remove.join(', ')} from the policy of ${bus} (keeping ${CENTRAL_BUS_POLICY_SID})`,
      remove.map((sid) => call('events', 'RemovePermission', { EventBusName: bus, StatementId: sid }, target.region)),
      { busName: bus, region: target.region, policy: state.policy ?? '', removed: remove },
    );
  },

  verify(target, stateAfter) {
    const left = addedOf(target).filter((sid) => sidsOf(stateAfter.policy).includes(sid));
    return left.length === 0
      ? { fixed: true, detail: `no statement the event added is left on ${detail(target, 'busName')}` }
      : { fixed: false, detail: `still in the policy: ${left.join(', ')}` };
  },

  undo(snapshot) {
    return [
      call(
        'events',
        'PutPermission',
        { EventBusName: snapshot['busName'], Policy: snapshot['policy'] },
        String(snapshot['region']),
      ),
    ];
  },
};
