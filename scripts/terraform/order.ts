/**
 * Deploy order of vigil's stacks, derived from the stack ids (config/naming.ts `stackIds`) and the
 * dependencies between them, which exist in AWS rather than in Terraform (stacks never reference
 * each other; see config/naming.ts):
 * - bootstrap goes first: it creates the deploy role every other stack's provider assumes;
 * - security needs only bootstrap (it names the trail bucket and key by their derived names);
 * - log-archive needs security: its bucket notification sends every new trail object to the sweep's queue
 *   (docs/sweep.md), and S3 validates that destination when the notification is configured, so the queue must
 *   exist (a first install would otherwise fail on log-archive);
 * - org-trail needs log-archive: the trail writes to its bucket and encrypts with its key;
 * - every member needs security: its forwarding rules target the central bus, and its roles trust
 *   the central functions' roles by exact ARN (IAM rejects a trust policy naming a missing role).
 * - tfc (only with the Terraform Cloud backend) creates every other stack's workspace, so it forms a
 *   wave of its own before all others: a stack's `terraform init` would otherwise create its workspace
 *   with default settings (no dynamic credentials), and tfc's apply would then fail on the name.
 *   Nothing in AWS depends on it, so it is no dependency of any stack (and no run trigger source).
 */
import { stackIds } from '../../config/naming';
import { TFC_STACK_ID } from '../../config/tfc';

/** Member stack ids, built from the same function that names them. */
const MEMBER_ID = new RegExp(`^${stackIds.member('\\d{12}')}$`);

/** Stacks each stack depends on, by id. */
export function stackDependencies(id: string): string[] {
  if (id === TFC_STACK_ID) return [];
  if (id === stackIds.bootstrap) return [];
  if (id === stackIds.security) return [stackIds.bootstrap];
  if (id === stackIds.logArchive) return [stackIds.bootstrap, stackIds.security];
  if (id === stackIds.orgTrail) return [stackIds.logArchive];
  if (MEMBER_ID.test(id)) return [stackIds.security];
  throw new Error(
    `unknown stack '${id}': expected ${stackIds.bootstrap}, ${stackIds.logArchive}, ${stackIds.orgTrail}, ${stackIds.security}, member-<12-digit account id> or ${TFC_STACK_ID}; ` +
      'is this folder from another tool? Remove it from cdktf.out/stacks or re-run `npm run synth`',
  );
}

/**
 * Stacks in waves: every stack of a wave depends only on earlier waves, so a wave's stacks may run in
 * parallel. Only dependencies among `ids` count (planning just the members of a partial output is fine).
 * Members form the last wave of their own, after every central stack (they need only security, but a failed
 * central stack then stops them too, and one failed member never stops a central stack).
 */
export function deployWaves(ids: readonly string[]): string[][] {
  if (ids.includes(TFC_STACK_ID) && ids.some((id) => id !== TFC_STACK_ID)) {
    return [[TFC_STACK_ID], ...deployWaves(ids.filter((id) => id !== TFC_STACK_ID))];
  }
  const members = ids.filter((id) => MEMBER_ID.test(id));
  if (members.length > 0 && members.length < ids.length) {
    return [...deployWaves(ids.filter((id) => !MEMBER_ID.test(id))), [...new Set(members)].sort()];
  }
  const present = new Set(ids);
  const waves: string[][] = [];
  const placed = new Set<string>();
  const remaining = [...new Set(ids)].sort();
  while (remaining.length > 0) {
    const wave = remaining.filter((id) => stackDependencies(id).every((d) => !present.has(d) || placed.has(d)));
    if (wave.length === 0) throw new Error(`stack dependencies form a cycle among ${remaining.join(', ')}`);
    for (const id of wave) {
      placed.add(id);
      remaining.splice(remaining.indexOf(id), 1);
    }
    waves.push(wave);
  }
  return waves;
}

/**
 * Stacks Terraform Cloud never runs: their workspaces are in local execution mode (state only) and an
 * operator applies them with `npm run deploy -- --apply --stacks <id>`. `tfc` needs an API token that may
 * create workspaces; `bootstrap` needs management-account admin credentials, because it creates the CI
 * role that the other workspaces' dynamic credentials assume. They get no dynamic credentials, no run
 * triggers and no notifications, and `npm run tfc:upload` skips them.
 */
export const LOCALLY_APPLIED_STACKS: readonly string[] = [TFC_STACK_ID, stackIds.bootstrap];
