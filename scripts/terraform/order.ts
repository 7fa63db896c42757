/**
 * Deploy order of vigil's stacks, derived from the stack ids (config/naming.ts `stackIds`) and the
 * dependencies between them, which exist in AWS rather than in Terraform (stacks never reference
 * each other; see config/naming.ts):
 * - bootstrap goes first: it creates the deploy role every other stack's provider assumes;
 * - org-trail needs log-archive: the trail writes to its bucket and encrypts with its key;
 * - security needs nothing of the other two, but goes after them so governance is in place first;
 * - every member needs security: its forwarding rules target the central bus, and its roles trust
 *   the central functions' roles by exact ARN (IAM rejects a trust policy naming a missing role).
 */
import { stackIds } from '../../config/naming';

/** Member stack ids, built from the same function that names them. */
const MEMBER_ID = new RegExp(`^${stackIds.member('\\d{12}')}$`);

/** Stacks each stack depends on, by id. */
export function stackDependencies(id: string): string[] {
  if (id === stackIds.bootstrap) return [];
  if (id === stackIds.logArchive) return [stackIds.bootstrap];
  if (id === stackIds.orgTrail) return [stackIds.logArchive];
  if (id === stackIds.security) return [stackIds.logArchive, stackIds.orgTrail];
  if (MEMBER_ID.test(id)) return [stackIds.security];
  throw new Error(
    `unknown stack '${id}': expected ${stackIds.bootstrap}, ${stackIds.logArchive}, ${stackIds.orgTrail}, ${stackIds.security} or member-<12-digit account id>; ` +
      'is this folder from another tool? Remove it from cdktf.out/stacks or re-run `npm run synth`',
  );
}

/**
 * Stacks in waves: every stack of a wave depends only on earlier waves, so a wave's stacks may run in
 * parallel. Only dependencies among `ids` count (planning just the members of a partial output is fine).
 */
export function deployWaves(ids: readonly string[]): string[][] {
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
