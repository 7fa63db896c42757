/**
 * restore-forwarding-rule: puts one of vigil's member forwarding rules (`<prefix>-fwd-*` on the default
 * bus) back the way the member stack deploys it, after DisableRule, RemoveTargets, PutTargets (another
 * target added, or `central-bus` re-pointed) or PutRule.
 *
 * As deployed (constructs/forwarding-rules.ts): the rule is enabled (state `ENABLED`, or
 * `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` for read-only events) with its catalog pattern, and has
 * exactly one target: id `central-bus`, the central bus ARN, the forwarder role
 * `arn:aws:iam::<account>:role/<prefix>-forwarder`, no input transformation. The plan, in this order so
 * events never flow to a foreign target while the rule is switched back on:
 *   1. RemoveTargets of every other target (an extra target ships copies of the security events away);
 *   2. PutTargets of `central-bus` when it is missing or differs (PutTargets replaces a target whole);
 *   3. the rule: PutRule with the deployed pattern and state when the context carries the forwarding
 *      patterns and either differs; otherwise EnableRule when it is DISABLED.
 * PutRule events are refused without the forwarding patterns: the new pattern may be narrower and there is
 * nothing to compare it with. A deleted rule is recreated from the forwarding patterns (the catalog);
 * without them DeleteRule is refused: the pattern is gone with the rule; redeploying the
 * member stack recreates it exactly, which is simpler and more honest than rebuilding it here.
 * Central rules (`<prefix>-<detection>` in the security account) belong to the security stack: refused.
 */
import { forwarderRoleName, roleArn } from '../../../../config/naming';
import type { PlannedCall, RemediationActionDef, RemediationTarget } from '../types';
import {
  act,
  asArray,
  call,
  compliant,
  detail,
  isObject,
  type Json,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  str,
  targetOf,
  accountOf,
} from './support';

/** A rule target as ListTargetsByRule returns it (kept whole so undo can put it back as it was). */
export interface RuleTarget {
  readonly Id: string;
  readonly Arn: string;
  readonly RoleArn?: string;
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: unknown;
  readonly [key: string]: unknown;
}

/** The rule now. */
export interface ForwardingRuleState {
  /** False when DescribeRule answers ResourceNotFoundException. */
  readonly exists: boolean;
  /** `ENABLED`, `DISABLED` or `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`. */
  readonly state?: string;
  /** JSON-encoded, as DescribeRule returns it. */
  readonly eventPattern?: string;
  readonly description?: string;
  /** Every page of ListTargetsByRule. */
  readonly targets: readonly RuleTarget[];
}

const ACTION = 'restore-forwarding-rule';
/** Target id the member stack gives the central bus target. */
export const CENTRAL_TARGET_ID = 'central-bus';
/** The retry policy the member stack sets: EventBridge's maximum (24 h, 185 attempts). */
const RETRY_POLICY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 };

const EVENTS: Readonly<Record<string, string>> = {
  DisableRule: 'name',
  DeleteRule: 'name',
  PutRule: 'name',
  PutTargets: 'rule',
  RemoveTargets: 'rule',
};

/** The default bus, by name or ARN; the forwarding rules live nowhere else. */
const isDefaultBus = (bus: string | undefined): boolean =>
  bus === undefined || bus === 'default' || /:event-bus\/default$/.test(bus);

/** JSON with object keys sorted, so two patterns compare by content. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const samePattern = (a: string | undefined, b: string): boolean => {
  if (a === undefined) return false;
  try {
    return canonical(JSON.parse(a)) === canonical(JSON.parse(b));
  } catch {
    // A pattern that does not parse is not the deployed one.
    return false;
  }
};

interface Expected {
  readonly target: { readonly Id: string; readonly Arn: string; readonly RoleArn: string };
  readonly rule?: { readonly eventPattern: string; readonly state: string };
}

const expectedOf = (target: RemediationTarget): Expected => target.details['expected'] as unknown as Expected;

/** What differs from the deployed rule. */
function drift(target: RemediationTarget, state: ForwardingRuleState) {
  const expected = expectedOf(target);
  const central = state.targets.find((t) => t.Id === CENTRAL_TARGET_ID);
  const centralOk =
    central !== undefined &&
    central.Arn === expected.target.Arn &&
    central.RoleArn === expected.target.RoleArn &&
    central.Input === undefined &&
    central.InputPath === undefined &&
    central.InputTransformer === undefined;
  const foreign = state.targets.filter((t) => t.Id !== CENTRAL_TARGET_ID);
  const rule = expected.rule;
  const ruleFix: 'put-rule' | 'enable' | 'none' =
    rule !== undefined
      ? state.state !== rule.state || !samePattern(state.eventPattern, rule.eventPattern)
        ? 'put-rule'
        : 'none'
      : state.state === 'DISABLED'
        ? 'enable'
        : 'none';
  return { central, centralOk, foreign, ruleFix };
}

export const restoreForwardingRule: RemediationActionDef<ForwardingRuleState> = {
  id: ACTION,
  title: "Restore one of vigil's forwarding rules and its central-bus target",
  iamActions: ['events:RemoveTargets', 'events:PutTargets', 'events:EnableRule', 'events:PutRule', 'iam:PassRole'],
  readIamActions: ['events:DescribeRule', 'events:ListTargetsByRule'],
  undoIamActions: ['events:DisableRule', 'events:PutRule', 'events:PutTargets', 'events:RemoveTargets', 'iam:PassRole'],

  target(event, ctx) {
    const key = EVENTS[event.detail.eventName];
    if (!key) return refuse(`${event.detail.eventName} does not change an EventBridge rule`);
    const request = requestOf(event);
    const name = str(request[key]);
    if (!name) return refuse(`${event.detail.eventName} event names no rule`);
    if (!isDefaultBus(str(request['eventBusName']))) {
      return refuse(
        `rule ${name} is on bus ${String(request['eventBusName'])}; forwarding rules live on the default bus`,
      );
    }
    const prefix = `${ctx.namePrefix}-fwd-`;
    if (!name.startsWith(prefix)) {
      return refuse(
        name.startsWith(`${ctx.namePrefix}-`)
          ? `${name} is not a member forwarding rule; central rules belong to the security stack: redeploy it`
          : `${name} is not a vigil forwarding rule`,
      );
    }
    const account = accountOf(event);
    if (event.detail.eventName === 'DeleteRule' && !ctx.forwardingPatterns) {
      return refuse(
        `${name} was deleted with its pattern; redeploy the member stack (member-${account}) to recreate it`,
      );
    }
    let rule: Expected['rule'];
    if (ctx.forwardingPatterns) {
      const deployed = ctx.forwardingPatterns.find((p) => `${prefix}${p.key}` === name);
      if (!deployed) return refuse(`${name} is not a rule of the current catalog; redeploy the member stack`);
      rule = { eventPattern: JSON.stringify(deployed.pattern), state: deployed.state };
    } else if (event.detail.eventName === 'PutRule') {
      return refuse(
        `PutRule may have changed the pattern of ${name}; without the forwarding patterns it cannot be checked`,
      );
    }
    const expected: Expected = {
      target: {
        Id: CENTRAL_TARGET_ID,
        Arn: ctx.centralBusArn,
        RoleArn: roleArn(account, forwarderRoleName(ctx)),
      },
      ...(rule ? { rule } : {}),
    };
    return targetOf(ACTION, event, regionOf(event), name, {
      ruleName: name,
      eventName: event.detail.eventName,
      expected: expected as unknown as Json,
    });
  },

  stateReads(target) {
    const name = detail(target, 'ruleName');
    return [
      call('events', 'DescribeRule', { Name: name }, target.region),
      call('events', 'ListTargetsByRule', { Rule: name }, target.region),
    ];
  },

  plan(target, state) {
    const name = detail(target, 'ruleName');
    const expected = expectedOf(target);
    if (!state.exists) {
      // Deleted: recreate it exactly as the member stack deploys it (pattern and state from the catalog).
      if (!expected.rule)
        return refusePlan(target, `${name} no longer exists; redeploy the member stack to recreate it`);
      return act(
        target,
        `recreate ${name} in ${target.region} with the deployed pattern and point ${CENTRAL_TARGET_ID} at ${expected.target.Arn}`,
        [
          call(
            'events',
            'PutRule',
            { Name: name, EventPattern: expected.rule.eventPattern, State: expected.rule.state },
            target.region,
          ),
          call(
            'events',
            'PutTargets',
            { Rule: name, Targets: [{ ...expected.target, RetryPolicy: { ...RETRY_POLICY } }] },
            target.region,
          ),
        ],
        {
          ruleName: name,
          region: target.region,
          previousRule: {},
          previousTargets: [],
          removedTargetIds: [],
          centralReplaced: false,
          ruleChange: 'recreate',
        },
      );
    }
    const { centralOk, foreign, ruleFix } = drift(target, state);
    const calls: PlannedCall[] = [];
    const steps: string[] = [];
    if (foreign.length > 0) {
      const ids = foreign.map((t) => t.Id);
      calls.push(call('events', 'RemoveTargets', { Rule: name, Ids: ids }, target.region));
      steps.push(`remove target(s) ${ids.join(', ')}`);
    }
    if (!centralOk) {
      calls.push(
        call(
          'events',
          'PutTargets',
          { Rule: name, Targets: [{ ...expected.target, RetryPolicy: { ...RETRY_POLICY } }] },
          target.region,
        ),
      );
      steps.push(`point ${CENTRAL_TARGET_ID} at ${expected.target.Arn}`);
    }
    if (ruleFix === 'put-rule' && expected.rule) {
      calls.push(
        call(
          'events',
          'PutRule',
          {
            Name: name,
            EventPattern: expected.rule.eventPattern,
            State: expected.rule.state,
            ...(state.description !== undefined ? { Description: state.description } : {}),
          },
          target.region,
        ),
      );
      steps.push(`restore the deployed pattern and state ${expected.rule.state}`);
    } else if (ruleFix === 'enable') {
      calls.push(call('events', 'EnableRule', { Name: name }, target.region));
      steps.push('enable the rule');
    }
    if (calls.length === 0) return compliant(target, `${name} is enabled and forwards only to the central bus`);
    return act(target, `${steps.join('; ')} on ${name} in ${target.region}`, calls, {
      ruleName: name,
      region: target.region,
      previousRule: {
        state: state.state,
        eventPattern: state.eventPattern,
        ...(state.description !== undefined ? { description: state.description } : {}),
      },
      previousTargets: state.targets.map((t) => ({ ...t })),
      removedTargetIds: foreign.map((t) => t.Id),
      centralReplaced: !centralOk,
      ruleChange: ruleFix,
    });
  },

  verify(target, stateAfter) {
    const name = detail(target, 'ruleName');
    if (!stateAfter.exists) return { fixed: false, detail: `${name} does not exist` };
    const { centralOk, foreign, ruleFix } = drift(target, stateAfter);
    const problems = [
      ...(foreign.length > 0 ? [`extra targets ${foreign.map((t) => t.Id).join(', ')}`] : []),
      ...(centralOk ? [] : [`${CENTRAL_TARGET_ID} target missing or changed`]),
      ...(ruleFix === 'none' ? [] : [`rule state ${stateAfter.state ?? '?'} or pattern differs from the deployed one`]),
    ];
    return problems.length === 0
      ? { fixed: true, detail: `${name} is ${stateAfter.state} and forwards only to the central bus` }
      : { fixed: false, detail: `${name}: ${problems.join('; ')}` };
  },

  undo(snapshot) {
    const name = String(snapshot['ruleName']);
    const region = String(snapshot['region']);
    const previous = isObject(snapshot['previousRule']) ? snapshot['previousRule'] : {};
    const previousTargets = asArray(snapshot['previousTargets']).filter(isObject);
    const calls: PlannedCall[] = [];
    if (snapshot['ruleChange'] === 'enable') calls.push(call('events', 'DisableRule', { Name: name }, region));
    if (snapshot['ruleChange'] === 'put-rule') {
      calls.push(
        call(
          'events',
          'PutRule',
          {
            Name: name,
            EventPattern: previous['eventPattern'],
            State: previous['state'],
            ...(previous['description'] !== undefined ? { Description: previous['description'] } : {}),
          },
          region,
        ),
      );
    }
    if (snapshot['centralReplaced'] === true) {
      const before = previousTargets.find((t) => t['Id'] === CENTRAL_TARGET_ID);
      calls.push(
        before
          ? call('events', 'PutTargets', { Rule: name, Targets: [before] }, region)
          : call('events', 'RemoveTargets', { Rule: name, Ids: [CENTRAL_TARGET_ID] }, region),
      );
    }
    if (snapshot['ruleChange'] === 'recreate') {
      // Undoing a recreation means deleting vigil's own rule, which the guardrail SCP reserves to the
      // deploy role: only its target is taken away here; remove the rule with `cdktf deploy` if wanted.
      calls.push(call('events', 'RemoveTargets', { Rule: name, Ids: [CENTRAL_TARGET_ID] }, region));
    }
    const removed = asArray(snapshot['removedTargetIds']);
    const putBack = previousTargets.filter((t) => removed.includes(t['Id']));
    if (putBack.length > 0) calls.push(call('events', 'PutTargets', { Rule: name, Targets: putBack }, region));
    return calls;
  },
};
