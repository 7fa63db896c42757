/**
 * What an object key in the log-archive bucket is: a CloudTrail log file, a digest file, an Insights log file, or
 * something that should not be there. Pure.
 *
 * Layouts (CloudTrail user guide):
 * - log file ("Finding your CloudTrail log files", "CloudTrail log file examples"):
 *   `[prefix/]AWSLogs/<O-ID>/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<16 chars>.json.gz`
 *   where the name's time is the delivery time (UTC, to the minute).
 * - digest file ("CloudTrail digest file structure"): `[prefix/]AWSLogs/<O-ID>/<account>/CloudTrail-Digest/<region>/
 *   <end YYYY>/<end MM>/<end DD>/<account>_CloudTrail-Digest_<region>_<trail name>_<home region>_<end YYYYMMDDTHHMMSSZ>.json.gz`,
 *   with a `_backfill` suffix before `.json.gz` for backfill digests (log files that missed their hourly digest).
 * - Insights log files go to `CloudTrail-Insight/` beside `CloudTrail/`.
 * For an organization trail the `<O-ID>` level is present; the bucket policy (stacks/log-archive-stack.ts) also lets
 * the trail write under `AWSLogs/<management account>/`, the layout without it, so that one is accepted for the
 * management account only when {@link KeyLayout.managementAccountId} is given.
 *
 * Anything else under the trail's prefix was not written by the org trail (the bucket policy lets only the trail
 * put objects there), so it is reported with a reason rather than ignored.
 */

/** Where the org trail writes. */
export interface KeyLayout {
  /** The organization id, `o-…`: the trail writes under `AWSLogs/<organizationId>/`. */
  readonly organizationId: string;
  /**
   * The management account, also accepted as `AWSLogs/<managementAccountId>/` (no org id level).
   * @default - only the org-id layout is accepted
   */
  readonly managementAccountId?: string;
  /** The trail's S3 key prefix, without slashes at either end. @default - none */
  readonly prefix?: string;
}

interface Located {
  readonly key: string;
  /** The org id level of the key; undefined for the management account's `AWSLogs/<account>/` layout. */
  readonly organizationId: string | undefined;
  readonly account: string;
  readonly region: string;
  /** The folder date, `YYYY-MM-DD`. */
  readonly date: string;
}

/** A CloudTrail log file (management and data events) or an Insights log file. */
export interface LogFileKey extends Located {
  readonly kind: 'log' | 'insight';
  /** Delivery time from the file name, ISO 8601 to the minute (`2026-11-02T10:05:00Z`). */
  readonly deliveredAt: string;
}

/** A digest file. */
export interface DigestFileKey extends Located {
  readonly kind: 'digest';
  readonly trailName: string;
  readonly homeRegion: string;
  /** The digest's end time from the file name, ISO 8601 (`2026-11-04T09:00:00Z`). */
  readonly endTime: string;
  readonly backfill: boolean;
}

/** A key that is not a CloudTrail object of the org trail, and why. */
export interface OtherKey {
  readonly kind: 'other' | 'rejected';
  readonly key: string;
  readonly reason: string;
}

/**
 * `other`: under `AWSLogs/<org id>/` but not shaped like anything CloudTrail writes (suspicious: only the trail may
 * write there). `rejected`: outside the trail's `AWSLogs/<org id>/` prefix (another org's id, an account trail's
 * layout, or no `AWSLogs/` at all).
 */
export type TrailObjectKey = LogFileKey | DigestFileKey | OtherKey;

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;
const LOG_NAME =
  /^(\d{12})_CloudTrail(-Insight)?_([a-z0-9-]+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_([A-Za-z0-9]{16})\.json\.gz$/;
const DIGEST_NAME =
  /^(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_(.+)_([a-z]{2}(?:-[a-z]+)+-\d{1,2})_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(_backfill)?\.json\.gz$/;

/** Keys longer than S3 allows are not keys; the bound also keeps regexes on hostile input short. */
const MAX_KEY = 1024;

/**
 * Decodes a key as S3 event notifications carry it: URL-encoded, with spaces as `+` (S3 user guide, "Event message
 * structure": "The s3 key provides information about the bucket and object involved in the event. The object key
 * name value is URL encoded."). Returns undefined for a malformed encoding.
 */
export function decodeEventKey(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** Classifies an object key of the log-archive bucket; see the module comment. */
export function classifyKey(key: string, layout: KeyLayout): TrailObjectKey {
  const reject = (reason: string): OtherKey => ({ kind: 'rejected', key, reason });
  const other = (reason: string): OtherKey => ({ kind: 'other', key, reason });
  if (key.length > MAX_KEY) return reject(`a key of ${key.length} characters, longer than S3 allows`);
  const root = layout.prefix ? `${layout.prefix}/AWSLogs/` : 'AWSLogs/';
  if (!key.startsWith(root)) return reject(`not under ${root}, where the org trail writes`);
  const parts = key.slice(root.length).split('/');
  let organizationId: string | undefined;
  if (parts[0] === layout.organizationId) {
    organizationId = parts.shift();
  } else if (layout.managementAccountId !== undefined && parts[0] === layout.managementAccountId) {
    // The management account's own layout: no org id level.
  } else if (ORG_ID.test(parts[0] ?? '')) {
    return reject(`under another organization's id ${parts[0]} (this trail writes under ${layout.organizationId})`);
  } else if (ACCOUNT.test(parts[0] ?? '')) {
    return reject(`under AWSLogs/${parts[0]}/, an account trail's layout, not the organization trail's`);
  } else {
    return reject(`under ${root}${parts[0] ?? ''}/, which is neither the organization id nor the management account`);
  }
  const [account, folder, region, yyyy, mm, dd, name, ...rest] = parts;
  const where = `AWSLogs/${organizationId ? `${organizationId}/` : ''}`;
  if (account === undefined || !ACCOUNT.test(account)) return other(`no 12-digit account after ${where}`);
  if (organizationId === undefined && account !== layout.managementAccountId) {
    return reject(`AWSLogs/${account}/ holds another account (${account})`);
  }
  if (folder !== 'CloudTrail' && folder !== 'CloudTrail-Digest' && folder !== 'CloudTrail-Insight') {
    return other(`'${folder ?? ''}' is not CloudTrail, CloudTrail-Digest or CloudTrail-Insight`);
  }
  if (region === undefined || !REGION.test(region)) return other(`'${region ?? ''}' is not a region`);
  if (name === undefined || rest.length > 0 || !/^\d{4}$/.test(yyyy ?? '') || !/^\d{2}$/.test(mm ?? '')) {
    return other(`not <region>/YYYY/MM/DD/<file name> under ${folder}/`);
  }
  if (!/^\d{2}$/.test(dd ?? '')) return other(`not <region>/YYYY/MM/DD/<file name> under ${folder}/`);
  const date = `${yyyy}-${mm}-${dd}`;
  if (!validDate(date)) return other(`the folder date ${yyyy}/${mm}/${dd} is not a date`);
  const located = { key, organizationId, account, region, date };
  const mismatch = (nameAccount: string, nameRegion: string, nameDate: string): string | undefined => {
    if (nameAccount !== account) return `the file name's account ${nameAccount} is not the folder's ${account}`;
    if (nameRegion !== region) return `the file name's region ${nameRegion} is not the folder's ${region}`;
    if (nameDate !== date) return `the file name's date ${nameDate} is not the folder's ${date}`;
    return undefined;
  };
  if (folder === 'CloudTrail-Digest') {
    const m = DIGEST_NAME.exec(name);
    if (!m) return other('not named <account>_CloudTrail-Digest_<region>_<trail>_<home region>_<end time>.json.gz');
    const [, a, r, trailName, homeRegion, y, mo, d, h, mi, s, backfill] = m as unknown as string[];
    const problem = mismatch(a!, r!, `${y}-${mo}-${d}`);
    if (problem) return other(problem);
    const endTime = `${y}-${mo}-${d}T${h}:${mi}:${s}Z`;
    if (!validTime(endTime)) return other(`the file name's end time ${endTime} is not a time`);
    return {
      kind: 'digest',
      ...located,
      trailName: trailName!,
      homeRegion: homeRegion!,
      endTime,
      backfill: !!backfill,
    };
  }
  const m = LOG_NAME.exec(name);
  const insight = folder === 'CloudTrail-Insight';
  if (!m || !!m[2] !== insight) {
    return other(`not named <account>_${folder}_<region>_<YYYYMMDDTHHmmZ>_<16 characters>.json.gz`);
  }
  const [, a, , r, y, mo, d, h, mi] = m as unknown as string[];
  const problem = mismatch(a!, r!, `${y}-${mo}-${d}`);
  if (problem) return other(problem);
  const deliveredAt = `${y}-${mo}-${d}T${h}:${mi}:00Z`;
  if (!validTime(deliveredAt)) return other(`the file name's time ${deliveredAt} is not a time`);
  return { kind: insight ? 'insight' : 'log', ...located, deliveredAt };
}

function validDate(date: string): boolean {
  return validTime(`${date}T00:00:00Z`);
}

/** A real UTC time: Date.parse accepts 2026-02-30 and rolls it over, so the round trip must give it back. */
function validTime(iso: string): boolean {
  const t = Date.parse(iso);
  return !Number.isNaN(t) && new Date(t).toISOString().replace('.000Z', 'Z') === iso;
}
