/**
 * Member-account I/O in process: the state reader (`<prefix>-readonly`), the executor with the
 * remediation or the undo role (`<prefix>-remediation`, `<prefix>-remediation-undo`) and the resource
 * tags reader (`<prefix>-readonly`). The remediate-member function serves these over Lambda; tests pass
 * them to remediate's `handlerFromEnvironment` directly. No decisions: each method is one adapter call.
 */
import { STSClient } from '@aws-sdk/client-sts';
import { readOnlyRoleName, remediationRoleName, remediationUndoRoleName } from '../../../config/naming';
import type { MemberIo, MemberRole } from '../../core/remediation/member-contract';
import { makeResourceTagsReader } from '../resource-tags';
import { type ExecutorOptions, makeRemediationExecutor, type RemediationExecutor } from './execute';
import { makeStateReader, type StateReaderOptions } from './read-state';

/** Options of {@link makeLocalMemberIo}. */
export interface LocalMemberIoOptions {
  /** The inventory's `namePrefix`: every role name derives from it (config/naming.ts). */
  readonly namePrefix: string;
  /** Client for the tags reader's AssumeRole. @default - a client in the Lambda's region */
  readonly sts?: STSClient;
  /** Extra executor settings (tests: `credentialsFor`, `clientConfig`). @default - none */
  readonly executor?: Omit<ExecutorOptions, 'namePrefix' | 'roleName'>;
  /** Extra state reader settings (tests). @default - none */
  readonly stateReader?: Omit<StateReaderOptions, 'namePrefix' | 'roleName'>;
}

/** Builds the in-process {@link MemberIo}. */
export function makeLocalMemberIo(options: LocalMemberIoOptions): MemberIo {
  const naming = { namePrefix: options.namePrefix };
  // Undo re-opens what a fix closed: it runs only with the separate, approval-only undo role.
  const executors: Readonly<Record<MemberRole, RemediationExecutor>> = {
    remediation: makeRemediationExecutor({
      ...options.executor,
      namePrefix: options.namePrefix,
      roleName: remediationRoleName(naming),
    }),
    undo: makeRemediationExecutor({
      ...options.executor,
      namePrefix: options.namePrefix,
      roleName: remediationUndoRoleName(naming),
    }),
  };
  const reader = makeStateReader({
    ...options.stateReader,
    namePrefix: options.namePrefix,
    roleName: readOnlyRoleName(naming),
  });
  const tags = makeResourceTagsReader({
    roleName: readOnlyRoleName(naming),
    sts: options.sts ?? new STSClient({}),
    sessionName: 'vigil-remediate',
  });
  return {
    readState: (target) => reader.read(target),
    // The request's action and id matter to remediate-member's checks, not to the executor.
    execute: ({ accountId, calls, role, dryRun }) =>
      executors[role].execute({ accountId, calls, ...(dryRun === undefined ? {} : { dryRun }) }),
    readTags: (lookup) => tags.read(lookup),
  };
}
