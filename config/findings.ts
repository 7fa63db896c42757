/**
 * Where findings go (`findings` in config/alerting.json, issue #15): AWS Security Hub of the security
 * account, and a Kinesis Data Firehose stream of OCSF Detection Findings into an S3 findings lake, with an
 * optional HTTP endpoint destination (Splunk HEC, Datadog, Elastic). Off unless set: the example org
 * leaves both off. See docs/findings.md.
 */
import type { InventoryProblem } from './inventory';

export interface FindingsConfig {
  /**
   * Import each finding into Security Hub (CSPM, ASFF) of the security account in the home region, and
   * update its workflow as the finding moves on. Security Hub must be enabled there. @default false
   */
  readonly securityHub?: boolean;
  /** The findings stream and lake. @default - no stream */
  readonly stream?: FindingsStreamConfig;
}

export interface FindingsStreamConfig {
  /** @default false */
  readonly enabled?: boolean;
  /** Days the findings lake keeps objects (S3 lifecycle). @default 400 */
  readonly retentionDays?: number;
  /**
   * Deliver to an HTTP endpoint (a SIEM) instead of S3; records the endpoint does not take are backed
   * up to the findings bucket (`http-failed/`). @default - deliver to the S3 findings lake
   */
  readonly httpEndpoint?: FindingsHttpEndpoint;
}

export interface FindingsHttpEndpoint {
  /** https URL of the endpoint, e.g. Splunk HEC `https://http-inputs-<stack>.splunkcloud.com/services/collector/raw`. */
  readonly url: string;
  /** Name shown in the Firehose console. */
  readonly name: string;
  /**
   * Secrets Manager secret (Firehose reads it itself) holding the endpoint's access key as JSON
   * `{"api_key": "..."}`, by its full ARN (Firehose names secrets by ARN):
   * `secretsmanager:arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf`. Never the key itself.
   */
  readonly accessKeyRef: `secretsmanager:arn:${string}`;
}

export const DEFAULT_FINDINGS_RETENTION_DAYS = 400;

const SECRETS_MANAGER_ARN_REF =
  /^secretsmanager:arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/;

/** The findings section's problems, each with its fix. */
export function findingsProblems(raw: unknown, path = 'findings'): InventoryProblem[] {
  const problems: InventoryProblem[] = [];
  const add = (p: string, message: string) => problems.push({ path: p, message });
  if (raw === undefined) return problems;
  if (!isRecord(raw)) return [{ path, message: 'expected an object: { "securityHub": true|false, "stream": {...} }' }];
  for (const key of Object.keys(raw)) {
    if (!['securityHub', 'stream'].includes(key)) add(`${path}.${key}`, 'unknown key; expected securityHub or stream');
  }
  if (raw['securityHub'] !== undefined && typeof raw['securityHub'] !== 'boolean') {
    add(`${path}.securityHub`, 'expected true or false');
  }
  const stream = raw['stream'];
  if (stream === undefined) return problems;
  if (!isRecord(stream)) {
    add(`${path}.stream`, 'expected an object: { "enabled": true, "retentionDays": 400, "httpEndpoint": {...} }');
    return problems;
  }
  for (const key of Object.keys(stream)) {
    if (!['enabled', 'retentionDays', 'httpEndpoint'].includes(key)) {
      add(`${path}.stream.${key}`, 'unknown key; expected enabled, retentionDays or httpEndpoint');
    }
  }
  if (stream['enabled'] !== undefined && typeof stream['enabled'] !== 'boolean') {
    add(`${path}.stream.enabled`, 'expected true or false');
  }
  const days = stream['retentionDays'];
  if (days !== undefined && !(typeof days === 'number' && Number.isInteger(days) && days >= 1)) {
    add(`${path}.stream.retentionDays`, `expected a whole number of days ≥ 1, got ${JSON.stringify(days)}`);
  }
  const http = stream['httpEndpoint'];
  if (http !== undefined) {
    const at = `${path}.stream.httpEndpoint`;
    if (!isRecord(http))
      add(at, 'expected an object: { "url": "https://…", "name": "Splunk", "accessKeyRef": "secretsmanager:…" }');
    else {
      if (typeof http['url'] !== 'string' || !/^https:\/\/[^\s]+$/.test(http['url'])) {
        add(`${at}.url`, 'expected an https:// URL (Firehose delivers over TLS only)');
      }
      if (typeof http['name'] !== 'string' || !/^[\w .-]{1,256}$/.test(http['name'])) {
        add(`${at}.name`, 'expected a short name such as "Splunk" (letters, digits, space, . _ -)');
      }
      const ref = http['accessKeyRef'];
      if (typeof ref !== 'string' || !SECRETS_MANAGER_ARN_REF.test(ref)) {
        add(
          `${at}.accessKeyRef`,
          /^ssm:/.test(String(ref))
            ? 'Firehose reads endpoint keys from Secrets Manager only: store it there and give secretsmanager:<its ARN>'
            : /^secretsmanager:/.test(String(ref))
              ? "give the secret's full ARN (secretsmanager:arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf): Firehose names secrets by ARN"
              : 'expected secretsmanager:<secret ARN> of a secret holding {"api_key": "…"}, never the key itself',
        );
      }
      for (const key of Object.keys(http)) {
        if (!['url', 'name', 'accessKeyRef'].includes(key))
          add(`${at}.${key}`, 'unknown key; expected url, name or accessKeyRef');
      }
    }
    if (stream['enabled'] !== true)
      add(`${path}.stream.enabled`, 'set to true: httpEndpoint is configured but the stream is off');
  }
  return problems;
}

/** Whether the stream is on. */
export const streamEnabled = (c: FindingsConfig | undefined): boolean => c?.stream?.enabled === true;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
