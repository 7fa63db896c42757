/**
 * Stands in for `@aws-sdk/credential-provider-node` (the SDK's default credential chain) inside the
 * Lambda bundles; bundle-build.mjs resolves that package to this file. Not used by tests or scripts,
 * which load the real SDK.
 *
 * Why it is safe: in Lambda the execution role's credentials are in the environment
 * (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), and the default chain's first
 * link, `fromEnv`, is what returns them there. The other links (SSO, ini files, `credential_process`,
 * web identity, container and instance metadata) never answer in Lambda, yet cost 60–90 KB per bundle
 * with the nested SSO, OIDC and sign-in clients they load. `fromTemporaryCredentials` (cross-account
 * AssumeRole) gets its master credentials from here too, i.e. from the environment.
 *
 * Differences from the default chain, none of which applies to vigil's functions: `AWS_PROFILE` is not
 * honoured (the chain skips the environment when it is set), and credentials served by a container
 * endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI`) are not read. Either fails at the first AWS call with
 * the message below, not silently.
 */
import { fromEnv } from '@aws-sdk/credential-providers';

type EnvInit = Parameters<typeof fromEnv>[0];
type Provider = ReturnType<typeof fromEnv>;

/** Same contract as the default chain: a provider the SDK calls (and caches) when it needs credentials. */
export const defaultProvider = (init: EnvInit = {}): Provider => {
  const env = fromEnv(init);
  return async (properties) => {
    try {
      return await env(properties);
    } catch (err) {
      throw Object.assign(
        new Error(
          'no AWS credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): vigil Lambda ' +
            'bundles read credentials from the environment only (handlers/runtime/env-credentials.ts)',
          { cause: err },
        ),
        // What the SDK's credential chains expect of a provider error: this one ends the search.
        { name: 'CredentialsProviderError', tryNextLink: false },
      );
    }
  };
};

/** Re-exported by the real package; kept with the same behaviour in case a client reads them. */
export const credentialsWillNeedRefresh = (credentials: { expiration?: Date } | undefined): boolean =>
  credentials?.expiration !== undefined;

/** Credentials expiring within five minutes are refreshed (the default chain's rule). */
export const credentialsTreatedAsExpired = (credentials: { expiration?: Date } | undefined): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
