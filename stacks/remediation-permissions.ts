import { REMEDIATIONS } from '../handlers/core/remediation/registry';
import type { Detection, RemediationId } from '../rules/types';

export interface RemediationPermissions {
  /** Mutating actions of the remediation role (iam:PassRole is granted separately, on one role). */
  readonly mutating: readonly string[];
  /** Read actions of the read-only role: state reads plus tag lookups for owner routing. */
  readonly read: readonly string[];
  /** Whether any remediation passes a role (restoring a forwarding rule's target). */
  readonly passesRole: boolean;
  /** Actions of the approval-only undo role (they re-open what a remediation fixed). */
  readonly undo: readonly string[];
}

/**
 * The member roles' permissions, derived from the remediations the catalog actually uses: adding a
 * remediation to a detection grants its actions, retiring the last user of one revokes them.
 */
export function remediationPermissions(catalog: readonly Detection[]): RemediationPermissions {
  const used = [
    ...new Set(catalog.flatMap((d) => (d.remediation ? [d.remediation.action] : []))),
  ].sort() as RemediationId[];
  const mutating = new Set<string>();
  const read = new Set<string>(['tag:GetResources']);
  const undo = new Set<string>();
  for (const id of used) {
    for (const a of REMEDIATIONS[id].iamActions) mutating.add(a);
    for (const a of REMEDIATIONS[id].readIamActions) read.add(a);
    for (const a of REMEDIATIONS[id].undoIamActions) undo.add(a);
  }
  const passesRole = mutating.delete('iam:PassRole');
  undo.delete('iam:PassRole');
  return { mutating: [...mutating].sort(), read: [...read].sort(), passesRole, undo: [...undo].sort() };
}
