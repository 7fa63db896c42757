/**
 * The few Terraform Cloud / Enterprise API calls an API-driven workflow needs: find a workspace,
 * create a configuration version, upload its archive, wait until it is `uploaded`. JSON:API over
 * HTTPS with a bearer token; the upload goes to the pre-signed `upload-url` (no token). Requests that
 * fail with 429 or 5xx, or do not reach the server, are retried with back-off (429 honours
 * `Retry-After`); everything else fails at once with the API's own error text and what to do.
 */

/** Where and as whom to call. */
export interface TfcTarget {
  /** e.g. `app.terraform.io`, or a Terraform Enterprise host; `http://…` only for tests. */
  readonly baseUrl: string;
  readonly token: string;
}

/** Injected for tests: the HTTP client and the wait between attempts. */
export interface TfcRuntime {
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;
  /** Attempts per request (first try included). @default 4 */
  readonly attempts?: number;
}

/** A configuration version as far as the upload needs it. */
export interface ConfigurationVersion {
  readonly id: string;
  readonly status: string;
  readonly uploadUrl?: string;
  readonly errorMessage?: string;
}

/** An API answer that is not what was asked for; `status` 0 when the server was not reached. */
export class TfcApiError extends Error {
  override readonly name = 'TfcApiError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const JSON_API = 'application/vnd.api+json';

/** A JSON:API call with retries; returns the parsed body (or undefined for an empty one). */
async function call(
  target: TfcTarget,
  rt: TfcRuntime,
  method: string,
  path: string,
  body?: unknown,
  what = `${method} ${path}`,
): Promise<any> {
  const attempts = rt.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await rt.fetch(`${target.baseUrl}/api/v2${path}`, {
        method,
        headers: {
          authorization: `Bearer ${target.token}`,
          'content-type': JSON_API,
          accept: JSON_API,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      if (attempt >= attempts) {
        throw new TfcApiError(`${what}: could not reach ${target.baseUrl} (${(err as Error).message})`, 0);
      }
      await rt.sleep(backoff(attempt));
      continue;
    }
    const text = await res.text();
    if (res.ok) return text === '' ? undefined : JSON.parse(text);
    if ((res.status === 429 || res.status >= 500) && attempt < attempts) {
      const retryAfter = Number(res.headers.get('retry-after'));
      await rt.sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff(attempt));
      continue;
    }
    throw new TfcApiError(`${what}: HTTP ${res.status}${apiErrors(text)}${hint(res.status)}`, res.status);
  }
}

const backoff = (attempt: number) => 1000 * 2 ** (attempt - 1);

/** The `errors[].detail/title` of a JSON:API error body, if any. */
function apiErrors(text: string): string {
  try {
    const errors = (JSON.parse(text) as { errors?: Array<{ title?: string; detail?: string }> }).errors ?? [];
    const parts = errors.map((e) => e.detail ?? e.title).filter(Boolean);
    return parts.length > 0 ? ` (${parts.join('; ')})` : '';
  } catch {
    return '';
  }
}

function hint(status: number): string {
  if (status === 401)
    return ': the token is missing, expired or revoked; create a team or user API token and set TFE_TOKEN';
  if (status === 403) return ': the token lacks permission (it needs "queue plans" on the workspace)';
  return '';
}

/** The id of workspace `name` in `organization`; a missing one is an error that says how to create it. */
export async function workspaceId(target: TfcTarget, rt: TfcRuntime, organization: string, name: string) {
  const path = `/organizations/${encodeURIComponent(organization)}/workspaces/${encodeURIComponent(name)}`;
  try {
    const body = await call(target, rt, 'GET', path, undefined, `workspace ${organization}/${name}`);
    return String(body.data.id);
  } catch (err) {
    if (err instanceof TfcApiError && err.status === 404) {
      throw new TfcApiError(
        `workspace ${organization}/${name} does not exist (or the token cannot see it): create it first ` +
          '(one workspace per stack, named by the backend workspacePattern) and give the token access',
        404,
      );
    }
    throw err;
  }
}

/** Creates a configuration version; `autoQueueRuns` starts a run when the upload completes. */
export async function createConfigurationVersion(
  target: TfcTarget,
  rt: TfcRuntime,
  workspace: string,
  options: { readonly autoQueueRuns: boolean; readonly speculative: boolean },
): Promise<ConfigurationVersion> {
  const body = await call(target, rt, 'POST', `/workspaces/${workspace}/configuration-versions`, {
    data: {
      type: 'configuration-versions',
      attributes: { 'auto-queue-runs': options.autoQueueRuns, speculative: options.speculative },
    },
  });
  return configurationVersion(body);
}

/** Reads a configuration version's status. */
export async function readConfigurationVersion(
  target: TfcTarget,
  rt: TfcRuntime,
  id: string,
): Promise<ConfigurationVersion> {
  return configurationVersion(await call(target, rt, 'GET', `/configuration-versions/${id}`));
}

function configurationVersion(body: any): ConfigurationVersion {
  const a = body?.data?.attributes ?? {};
  return {
    id: String(body?.data?.id),
    status: String(a.status),
    ...(typeof a['upload-url'] === 'string' ? { uploadUrl: a['upload-url'] } : {}),
    ...(typeof a['error-message'] === 'string' ? { errorMessage: a['error-message'] } : {}),
  };
}

/** PUTs the archive to the pre-signed upload URL (no token: the URL is the credential). */
export async function uploadArchive(rt: TfcRuntime, uploadUrl: string, archive: Buffer): Promise<void> {
  const attempts = rt.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    let status = 0;
    let detail = '';
    try {
      const res = await rt.fetch(uploadUrl, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: new Uint8Array(archive),
      });
      if (res.ok) return;
      status = res.status;
      detail = (await res.text()).slice(0, 200);
    } catch (err) {
      detail = (err as Error).message;
    }
    if ((status === 0 || status === 429 || status >= 500) && attempt < attempts) {
      await rt.sleep(backoff(attempt));
      continue;
    }
    throw new TfcApiError(
      `upload failed: ${status ? `HTTP ${status}` : 'no answer'}${detail ? ` (${detail})` : ''}`,
      status,
    );
  }
}
