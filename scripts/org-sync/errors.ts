/** Errors `org:sync` can name; the CLI turns each into a message that says what to do, and exit code 2. */

/** No usable AWS credentials: none configured, an expired SSO session, or credentials AWS rejected. */
export class MissingCredentialsError extends Error {
  constructor(
    /** The SDK call that needed them, e.g. `DescribeOrganization`. */
    readonly operation: string,
    /** `true` when credentials were found but AWS rejected them (expired or invalid). */
    readonly rejected: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      rejected
        ? `AWS rejected the credentials on ${operation} (they are expired or invalid)`
        : `no AWS credentials could be loaded for ${operation}`,
      options,
    );
    this.name = 'MissingCredentialsError';
  }
}

/**
 * The caller cannot read the organization: its account is in no organization, or it is a member
 * account that is neither the management account nor a delegated administrator (or lacks permission).
 */
export class OrganizationAccessError extends Error {
  constructor(
    readonly reason: 'not-in-organization' | 'access-denied',
    /** The SDK call that was refused, e.g. `ListRoots`. */
    readonly operation: string,
    /** From DescribeOrganization, which member accounts may call. @default - unknown */
    readonly managementAccountId: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      reason === 'not-in-organization'
        ? `${operation} failed: the caller's account is not a member of any AWS Organization`
        : `${operation} was denied: the caller is not the management account${managementAccountId ? ` (${managementAccountId})` : ''} ` +
            'or a delegated administrator for AWS Organizations, or lacks organizations:List*/Describe* permissions',
      options,
    );
    this.name = 'OrganizationAccessError';
  }
}

/** AWS kept throttling (or failing transiently) after every allowed attempt. */
export class RetriesExhaustedError extends Error {
  constructor(
    readonly operation: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    // Duck-typed: SDK errors may come from another realm (jest), where instanceof Error is false.
    const c = (options?.cause ?? {}) as { name?: unknown; message?: unknown };
    const cause = typeof c.name === 'string' ? `${c.name}: ${String(c.message)}` : String(options?.cause);
    super(`${operation} still failed after ${attempts} attempts (${cause})`, options);
    this.name = 'RetriesExhaustedError';
  }
}

/** AWS Organizations returned something the sync cannot use (e.g. an account without an id). */
export class UnexpectedResponseError extends Error {
  constructor(operation: string, problem: string) {
    super(`${operation} returned ${problem}`);
    this.name = 'UnexpectedResponseError';
  }
}
