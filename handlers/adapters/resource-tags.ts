/**
 * Reads the tags of an event's resources in the member account: STS AssumeRole into the read-only
 * role `arn:aws:iam::<account>:role/<prefix>-readonly`, then Resource Groups Tagging API GetResources
 * by ARN in the resources' region. Tags and credentials are cached in memory per Lambda container.
 *
 * A failure never loses the alert: `read` does not throw. It answers `unavailable` with the reason
 * (role missing, access denied, throttled, timed out), the owner falls back to the account and OU,
 * and the alert says so. A failing account is remembered briefly so a burst does not hammer STS.
 *
 * GetResources does not support IAM users and roles (the core never asks for them), and it returns
 * nothing for a resource without tags, which counts as "no owner tag".
 */
import {
  GetResourcesCommand,
  ResourceGroupsTaggingAPIClient,
  type ResourceGroupsTaggingAPIClientConfig,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { roleArn } from '../../config/naming';
import type { ResourceTagsOutcome } from '../core/owner';
import type { TagLookup } from '../core/triage';

/** Reads resource tags; never throws. */
export interface ResourceTagsReader {
  read(lookup: TagLookup | undefined): Promise<ResourceTagsOutcome>;
}

/** Options of {@link makeResourceTagsReader}. */
export interface ResourceTagsReaderOptions {
  /** Name of the read-only role in every member account (`readOnlyRoleName(inventory)`). */
  readonly roleName: string;
  /** Client for AssumeRole, in the Lambda's region. */
  readonly sts: STSClient;
  /** @default - a client per account and region with the assumed role's credentials */
  readonly taggingClient?: (config: ResourceGroupsTaggingAPIClientConfig) => ResourceGroupsTaggingAPIClient;
  /** How long tags are reused. @default 300000 (5 minutes) */
  readonly ttlMs?: number;
  /** How long an account whose lookup failed is not asked again. @default 60000 */
  readonly failureTtlMs?: number;
  /**
   * Time allowed for one lookup (credentials + GetResources): the alert waits for it, and MTTD is a
   * KPI. @default 3000
   */
  readonly timeoutMs?: number;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
  /** Session name, shown in the member account's CloudTrail. @default 'vigil-triage' */
  readonly sessionName?: string;
}

/** Credentials of the assumed role, in the shape SDK clients accept. */
interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** Builds a {@link ResourceTagsReader} with its own caches. */
export function makeResourceTagsReader(options: ResourceTagsReaderOptions): ResourceTagsReader {
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? 300_000;
  const failureTtlMs = options.failureTtlMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 3000;
  const sessionName = options.sessionName ?? 'vigil-triage';
  const newClient = options.taggingClient ?? ((config) => new ResourceGroupsTaggingAPIClient(config));

  const tagCache = new Map<string, { readonly tags: Record<string, string>; readonly expiresAt: number }>();
  const credentialCache = new Map<string, { readonly promise: Promise<Credentials>; renewAt: number }>();
  const failures = new Map<string, { readonly reason: string; readonly until: number }>();
  const clients = new Map<string, ResourceGroupsTaggingAPIClient>();

  /** Credentials for an account, shared by concurrent lookups and renewed a minute before they expire. */
  const credentials = (accountId: string): Promise<Credentials> => {
    const cached = credentialCache.get(accountId);
    if (cached && cached.renewAt > now()) return cached.promise;
    const promise = options.sts
      .send(
        new AssumeRoleCommand({
          RoleArn: roleArn(accountId, options.roleName),
          RoleSessionName: sessionName,
          DurationSeconds: 900,
        }),
      )
      .then((out): Credentials => {
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
          throw new Error('AssumeRole returned no credentials');
        }
        return {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
          expiration: c.Expiration ?? new Date(now() + 900_000),
        };
      });
    const entry = { promise, renewAt: Number.POSITIVE_INFINITY };
    credentialCache.set(accountId, entry);
    promise.then(
      (c) => {
        entry.renewAt = c.expiration.getTime() - 60_000;
      },
      () => {
        // A failed AssumeRole is not cached here; `failures` throttles retries per account instead.
        if (credentialCache.get(accountId) === entry) credentialCache.delete(accountId);
      },
    );
    return promise;
  };

  const clientFor = (accountId: string, region: string): ResourceGroupsTaggingAPIClient => {
    const id = `${accountId}|${region}`;
    let client = clients.get(id);
    if (!client) {
      client = newClient({ region, maxAttempts: 2, credentials: () => credentials(accountId) });
      clients.set(id, client);
    }
    return client;
  };

  const lookup = async (req: TagLookup, arns: readonly string[]): Promise<Record<string, Record<string, string>>> => {
    // Awaited here, not only inside the client, so an AssumeRole failure is reported as such.
    await credentials(req.accountId);
    const out = await clientFor(req.accountId, req.region).send(
      new GetResourcesCommand({ ResourceARNList: [...arns] }),
    );
    const found: Record<string, Record<string, string>> = {};
    for (const mapping of out.ResourceTagMappingList ?? []) {
      if (!mapping.ResourceARN) continue;
      const tags: Record<string, string> = {};
      for (const t of mapping.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
      found[mapping.ResourceARN] = tags;
    }
    return found;
  };

  return {
    async read(req) {
      if (!req || req.arns.length === 0) return { status: 'not-applicable' };
      const cacheKey = (arn: string) => `${req.accountId}|${req.region}|${arn}`;
      const t = now();
      const tags: Record<string, Record<string, string>> = {};
      const missing: string[] = [];
      for (const arn of req.arns) {
        const hit = tagCache.get(cacheKey(arn));
        if (hit && hit.expiresAt > t) tags[arn] = hit.tags;
        else missing.push(arn);
      }
      if (missing.length === 0) return { status: 'found', tags, arns: req.arns };

      const failed = failures.get(req.accountId);
      if (failed && failed.until > t) return { status: 'unavailable', reason: failed.reason };

      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const work = lookup(req, missing);
        // If the timeout wins, a later rejection of the lookup must not become an unhandled rejection.
        work.catch(() => undefined);
        const found = await Promise.race([work, timeout]);
        const expiresAt = now() + ttlMs;
        for (const arn of missing) {
          // A resource GetResources did not return has no tags: cache that too.
          tags[arn] = found[arn] ?? {};
          tagCache.set(cacheKey(arn), { tags: tags[arn]!, expiresAt });
        }
        return { status: 'found', tags, arns: req.arns };
      } catch (err) {
        const reason = describeError(err, req.accountId, options.roleName);
        failures.set(req.accountId, { reason, until: now() + failureTtlMs });
        return { status: 'unavailable', reason };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** `AccessDenied: ...` cut to a readable length, naming the role for the usual cause. */
function describeError(err: unknown, accountId: string, roleName: string): string {
  const e = err as { name?: string; message?: string } | null;
  const text = `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
  const short = text.length > 200 ? `${text.slice(0, 199)}…` : text;
  return e?.name === 'AccessDenied' || e?.name === 'AccessDeniedException'
    ? `${short} (role ${roleName} in ${accountId})`
    : short;
}
