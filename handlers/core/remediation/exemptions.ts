/**
 * Exemptions: reviewed exceptions in `config/remediation.json` and owner-set resource tags
 * (`vigil:exempt = "<reason>; expires=YYYY-MM-DD"`). An exempt remediation does not run; the
 * detection still alerts. Pure: today's date comes from the caller.
 */
import {
  DEFAULT_EXEMPTION_TAG_MAX_DAYS,
  type Exemption,
  isCalendarDate,
  type RemediationConfig,
} from '../../../config/remediation';

/** What an exemption is matched against. */
export interface ExemptionSubject {
  readonly detectionId: string;
  readonly accountId: string;
  /** The target's resource id and any ARNs of it (an exemption's `resource` glob may name either). */
  readonly resources: readonly string[];
}

/** The result of reading the target resource's tags (done by an adapter before this decision). */
export type TagLookup =
  | { readonly kind: 'read'; readonly tags: Readonly<Record<string, string>> }
  /** Account-level settings (public access block, …) carry no tags: only config exemptions apply. */
  | { readonly kind: 'not-taggable' }
  | { readonly kind: 'failed'; readonly error: string };

export type ExemptionDecision =
  | {
      readonly kind: 'none';
      /** Exemptions that matched but were ignored, each with why (expired, malformed tag, …), for the log. */
      readonly ignored: readonly string[];
    }
  | {
      readonly kind: 'exempt';
      readonly source: 'config' | 'tag';
      readonly owner: string;
      /** One sentence: who, why, until when. */
      readonly reason: string;
      readonly expires: string;
      readonly ignored: readonly string[];
    }
  | {
      /** The tags could not be read: nobody can say the resource is not exempt, so no automatic change. */
      readonly kind: 'unknown';
      readonly reason: string;
      readonly ignored: readonly string[];
    };

/**
 * Decides whether the remediation of `subject` is exempt on `today` (UTC, `YYYY-MM-DD`). A config
 * exemption is checked first and needs no tags; then the resource's exemption tag. Expired
 * exemptions and malformed tags are ignored and listed in `ignored`. When the tags could not be read
 * and no config exemption applies, the answer is `unknown`: the caller must not act automatically.
 */
export function checkExemptions(
  subject: ExemptionSubject,
  config: Pick<RemediationConfig, 'exemptions' | 'exemptionTag'>,
  tags: TagLookup,
  today: string,
): ExemptionDecision {
  const ignored: string[] = [];
  for (const [i, e] of config.exemptions.entries()) {
    if (!exemptionMatches(e, subject)) continue;
    if (e.expires < today) {
      ignored.push(`exemptions[${i}] (owner ${e.owner}) expired on ${e.expires}`);
      continue;
    }
    const ticket = e.ticket ? `, ${e.ticket}` : '';
    return {
      kind: 'exempt',
      source: 'config',
      owner: e.owner,
      expires: e.expires,
      reason: `exempt by config/remediation.json exemptions[${i}] (owner ${e.owner}${ticket}) until ${e.expires}: ${e.reason}`,
      ignored,
    };
  }

  if (tags.kind === 'not-taggable') return { kind: 'none', ignored };
  if (tags.kind === 'failed') {
    return {
      kind: 'unknown',
      reason: `could not read the tags of ${subject.resources[0] ?? 'the resource'} to check for a ${config.exemptionTag.key} exemption (${tags.error})`,
      ignored,
    };
  }
  const key = config.exemptionTag.key;
  const value = tags.tags[key];
  if (value === undefined) return { kind: 'none', ignored };
  const parsed = parseExemptionTag(value);
  if ('problem' in parsed) {
    ignored.push(`tag ${key}=${JSON.stringify(value)} ignored: ${parsed.problem}`);
    return { kind: 'none', ignored };
  }
  if (parsed.expires < today) {
    ignored.push(`tag ${key} expired on ${parsed.expires}`);
    return { kind: 'none', ignored };
  }
  const maxDays = config.exemptionTag.maxDays ?? DEFAULT_EXEMPTION_TAG_MAX_DAYS;
  const latest = addDays(today, maxDays);
  if (parsed.expires > latest) {
    ignored.push(
      `tag ${key} expires ${parsed.expires}, more than ${maxDays} days ahead (latest allowed ${latest}); ` +
        'a longer exemption belongs in config/remediation.json where it is reviewed',
    );
    return { kind: 'none', ignored };
  }
  const owner = tags.tags['owner'] ?? 'the resource owner';
  return {
    kind: 'exempt',
    source: 'tag',
    owner,
    expires: parsed.expires,
    reason: `exempt by resource tag ${key} (owner ${owner}) until ${parsed.expires}: ${parsed.reason}`,
    ignored,
  };
}

/** True when every field the exemption sets matches the subject. */
export function exemptionMatches(e: Exemption, subject: ExemptionSubject): boolean {
  if (e.detection !== undefined && e.detection !== subject.detectionId) return false;
  if (e.account !== undefined && e.account !== subject.accountId) return false;
  if (e.resource !== undefined) {
    const re = globToRegExp(e.resource);
    if (!subject.resources.some((r) => re.test(r))) return false;
  }
  return true;
}

/** Parses a tag value `<reason>; expires=YYYY-MM-DD` (parts in any order, separated by `;`). */
export function parseExemptionTag(value: string): { reason: string; expires: string } | { problem: string } {
  const parts = value.split(';').map((p) => p.trim());
  const expiryParts = parts.filter((p) => /^expires\s*=/i.test(p));
  const reason = parts.filter((p) => p !== '' && !/^expires\s*=/i.test(p)).join('; ');
  if (expiryParts.length !== 1) return { problem: 'expected exactly one "expires=YYYY-MM-DD"' };
  const expires = expiryParts[0]!.replace(/^expires\s*=\s*/i, '');
  if (!isCalendarDate(expires)) return { problem: `expiry ${JSON.stringify(expires)} is not a YYYY-MM-DD date` };
  if (reason === '') return { problem: 'no reason given before "; expires="' };
  return { reason, expires };
}

/** `*` matches any run of characters (including `/` and `:`), `?` one character; all else is literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/** `YYYY-MM-DD` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
