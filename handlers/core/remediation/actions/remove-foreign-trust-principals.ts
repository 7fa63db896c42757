/**
 * remove-foreign-trust-principals: after CreateRole / UpdateAssumeRolePolicy gave a role a trust policy that
 * lets in someone outside the organization, takes exactly those principals out of it with one
 * `UpdateAssumeRolePolicy`. What counts as outside is the detection's own test, per statement
 * (rules/predicates.ts `outsidePrincipals`): a `*` that no condition confines to the organization, account
 * ids and IAM/STS ARNs of accounts outside the inventory; an Allow with `NotPrincipal` (everyone but a few)
 * has no single principal to take out and goes as a whole statement.
 *
 * The new document is computed from the event's document: a statement keeps its other principals (other
 * accounts of the organization, services, federated providers), loses its `AWS` key when nothing is left in
 * it, and is dropped when it has no principal left. Refused, for a human:
 *   - when nothing would be left of the trust policy (the role would trust no one: a role to delete or
 *     re-trust by hand);
 *   - when the role's current trust policy (GetRole) is no longer the event's document: someone changed it
 *     since (that raised its own event), and removing principals from a document nobody reviewed is a guess;
 *   - for a service-linked role (IAM does not allow changing its trust).
 * A role that is gone, or whose trust policy already is the fixed document (redelivery), is compliant.
 *
 * The snapshot keeps the trust policy as it was (URL-decoded); undo puts it back with UpdateAssumeRolePolicy.
 */
import { insideOf, outsidePrincipals, type PolicyStatement, parsePolicyDocument } from '../../../../rules/predicates';
import type { RemediationActionDef, RemediationTarget } from '../types';
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
} from './support';

/** The role now (GetRole). */
export interface TrustPolicyState {
  /** False when GetRole answers NoSuchEntity. */
  readonly exists: boolean;
  /** ARN with path. */
  readonly roleArn?: string;
  /** The trust policy, URL-decoded JSON. */
  readonly document?: string;
}

const ACTION = 'remove-foreign-trust-principals';

/** JSON with object keys sorted: two renderings of one document compare equal. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** A statement without the given AWS principal values; undefined when it has no principal left. */
function withoutPrincipals(s: Json, remove: readonly string[]): Json | undefined {
  const principal = s['Principal'];
  if (!isObject(principal)) return undefined; // `"*"`: the only principal is the one removed
  const left = asArray(principal['AWS']).filter((v) => !(typeof v === 'string' && remove.includes(v)));
  const { AWS: _aws, ...others } = principal;
  const next: Json = left.length === 0 ? others : { ...others, AWS: left.length === 1 ? left[0] : left };
  if (Object.keys(next).length === 0) return undefined;
  return { ...s, Principal: next };
}

/** What the target records: the event's document, the fixed one, and what was taken out. */
interface Fix {
  readonly fixed: Json;
  readonly removed: string[];
  readonly droppedStatements: number;
}

function fix(doc: Json, outside: (s: PolicyStatement) => 'statement' | string[]): Fix {
  const removed: string[] = [];
  let droppedStatements = 0;
  const kept: Json[] = [];
  for (const s of asArray(doc['Statement']).filter(isObject)) {
    const out = outside(s as PolicyStatement);
    const next = out === 'statement' ? undefined : out.length === 0 ? s : withoutPrincipals(s, out);
    if (out === 'statement') removed.push(`the NotPrincipal statement ${str(s['Sid']) ?? '(no Sid)'}`);
    else removed.push(...out);
    if (next === undefined) droppedStatements += 1;
    else kept.push(next);
  }
  return { fixed: { ...doc, Statement: kept }, removed, droppedStatements };
}

const docOf = (target: RemediationTarget, key: string): Json => parsePolicyDocument(detail(target, key)) ?? {};

export const removeForeignTrustPrincipals: RemediationActionDef<TrustPolicyState> = {
  id: ACTION,
  title: "Remove the principals outside the organization from a role's trust policy",
  iamActions: ['iam:UpdateAssumeRolePolicy'],
  readIamActions: ['iam:GetRole'],
  undoIamActions: ['iam:UpdateAssumeRolePolicy'],

  target(event, ctx) {
    const name = event.detail.eventName;
    if (name !== 'CreateRole' && name !== 'UpdateAssumeRolePolicy') {
      return refuse(`${name} does not set a trust policy`);
    }
    if (!ctx.organization) return refuse("the organization's accounts are not known here; cannot tell who is foreign");
    const request = requestOf(event);
    const roleName = str(request['roleName']);
    const doc = parsePolicyDocument(request['policyDocument'] ?? request['assumeRolePolicyDocument']);
    if (!roleName || !doc) return refuse(`${name} event names no role or carries no readable trust policy`);
    const organization = ctx.organization;
    const inside = insideOf(event, organization);
    const { fixed, removed, droppedStatements } = fix(doc, (s) => outsidePrincipals(s, inside, organization));
    if (removed.length === 0) return refuse(`the trust policy of ${roleName} lets in no one outside the organization`);
    if (asArray(fixed['Statement']).length === 0) {
      return refuse(
        `removing ${removed.join(', ')} would leave the trust policy of ${roleName} without a statement; ` +
          'delete or re-trust the role by hand',
      );
    }
    return targetOf(ACTION, event, regionOf(event), `role/${roleName}`, {
      roleName,
      eventDocument: JSON.stringify(doc),
      fixedDocument: JSON.stringify(fixed),
      removed,
      droppedStatements,
    });
  },

  stateReads(target) {
    return [call('iam', 'GetRole', { RoleName: detail(target, 'roleName') }, target.region)];
  },

  plan(target, state) {
    const role = detail(target, 'roleName');
    if (!state.exists) return compliant(target, `role ${role} no longer exists`);
    const arn = state.roleArn ?? '';
    if (/:role\/aws-service-role\//.test(arn)) {
      return refusePlan(target, `${arn} is a service-linked role; IAM does not allow changing its trust policy`);
    }
    const current = canonical(parsePolicyDocument(state.document ?? '') ?? {});
    if (current === canonical(docOf(target, 'fixedDocument'))) {
      return compliant(
        target,
        `the trust policy of ${role} no longer lets in ${asArray(target.details['removed']).join(', ')}`,
      );
    }
    if (current !== canonical(docOf(target, 'eventDocument'))) {
      return refusePlan(
        target,
        `the trust policy of ${role} changed since the event; will not edit a document nobody reviewed`,
      );
    }
    const dropped = Number(target.details['droppedStatements']);
    return act(
      target,
      `remove ${asArray(target.details['removed']).join(', ')} from the trust policy of ${role}` +
        (dropped > 0 ? ` (${dropped} statement${dropped === 1 ? '' : 's'} left without a principal dropped)` : ''),
      [
        call(
          'iam',
          'UpdateAssumeRolePolicy',
          { RoleName: role, PolicyDocument: detail(target, 'fixedDocument') },
          target.region,
        ),
      ],
      { roleName: role, roleArn: arn, document: state.document ?? '', region: target.region },
    );
  },

  verify(target, stateAfter) {
    const role = detail(target, 'roleName');
    if (!stateAfter.exists) return { fixed: true, detail: `role ${role} no longer exists` };
    const current = canonical(parsePolicyDocument(stateAfter.document ?? '') ?? {});
    return current === canonical(docOf(target, 'fixedDocument'))
      ? { fixed: true, detail: `the trust policy of ${role} lets in no one outside the organization from the event` }
      : { fixed: false, detail: `the trust policy of ${role} is not the fixed document` };
  },

  undo(snapshot) {
    return [
      call(
        'iam',
        'UpdateAssumeRolePolicy',
        { RoleName: snapshot['roleName'], PolicyDocument: snapshot['document'] },
        String(snapshot['region']),
      ),
    ];
  },
};
