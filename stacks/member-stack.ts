import type { Construct } from 'constructs';
import { type Account, accountRegions, heartbeatIntervalMinutes, type OrgInventory } from '../config/inventory';
import {
  centralBusArn,
  forwarderRoleName,
  functionRoleArn,
  HEARTBEAT_TAG,
  heartbeatParameterName,
  heartbeatRoleName,
  heartbeatScheduleNames,
  readOnlyRoleName,
  remediationRoleName,
  remediationUndoRoleName,
  roleArn,
  vigilRoleNames,
} from '../config/naming';
import { GLOBAL_EVENTS_REGION } from '../config/regions';
import { ForwardingRules } from '../constructs/forwarding-rules';
import { Heartbeat } from '../constructs/heartbeat';
import { RemediationRoles } from '../constructs/remediation-roles';
import type { ForwardedPattern } from '../rules/patterns';
import { permissionsForAccount, type RemediationPermissions } from '../derive/remediation-permissions';
import { VigilStack } from './vigil-stack';

export interface MemberStackProps {
  readonly inventory: OrgInventory;
  readonly account: Account;
  /** Forwarding patterns derived from the catalog (`forwardingPatterns(CATALOG)`). */
  readonly patterns: readonly ForwardedPattern[];
  /** Permissions of the remediation and read-only roles (`remediationPermissions(CATALOG)`). */
  readonly permissions: RemediationPermissions;
}

/**
 * Role names no vigil role may change in any account: every vigil role (member, central functions and the
 * findings stream's delivery role: config/naming.ts `vigilRoleNames`), the deploy
 * role and the organization's admin role (`OrganizationAccountAccessRole`, created in every account
 * AWS Organizations creates).
 */
export function protectedRoleNames(inv: OrgInventory): string[] {
  return [...new Set([...vigilRoleNames(inv), inv.deployRoleName, 'OrganizationAccountAccessRole'])].sort();
}

/**
 * The account-dependent inputs of a member stack besides the account id, as a key: two accounts with
 * the same shape get the same Terraform with the id replaced (build/member-stamps.ts writes the stacks
 * of large orgs that way). Undefined for the management and security accounts, whose stacks differ by
 * role. Every read of `props.account` in the constructor below other than its id must be in this key.
 */
export function memberStackShape(inv: OrgInventory, account: Account): string | undefined {
  if (account.id === inv.managementAccountId || account.id === inv.securityAccountId) return undefined;
  return `regions=${accountRegions(inv, account).join(',')}`;
}

/**
 * One member account (management, log-archive and security included): forwarding rules in every
 * enabled region of the account, the forwarder role they use, the heartbeat schedules and their role, and the remediation, undo and read-only
 * roles. In the management account, where SCPs do not apply, the remediation and undo roles exist only
 * when the inventory sets `remediateManagementAccount`, and then under a permissions boundary.
 */
export class MemberStack extends VigilStack {
  readonly forwarding: ForwardingRules;
  readonly roles: RemediationRoles;
  /** The heartbeat schedules (every enabled region, and the global path in us-east-1) and their role. */
  readonly heartbeat: Heartbeat;

  constructor(scope: Construct, id: string, props: MemberStackProps) {
    const inv = props.inventory;
    super(scope, id, { inventory: inv, accountId: props.account.id, component: 'member' });
    this.forwarding = new ForwardingRules(this, 'forwarding', {
      provider: this.provider,
      accountId: props.account.id,
      centralBusArn: centralBusArn(inv),
      patterns: props.patterns,
      regions: accountRegions(inv, props.account),
      globalRegion: GLOBAL_EVENTS_REGION,
      roleName: forwarderRoleName(inv),
      namePrefix: inv.namePrefix,
    });
    this.heartbeat = new Heartbeat(this, 'heartbeat', {
      provider: this.provider,
      accountId: props.account.id,
      regions: accountRegions(inv, props.account),
      globalRegion: GLOBAL_EVENTS_REGION,
      roleName: heartbeatRoleName(inv),
      parameterName: heartbeatParameterName(inv),
      scheduleNames: heartbeatScheduleNames(inv),
      tag: HEARTBEAT_TAG,
      intervalMinutes: heartbeatIntervalMinutes(inv),
    });
    // Trust names exact central roles: they must exist first, so the security stack deploys before members.
    // Only remediate-member holds member credentials; the remediate orchestrator reaches members through it.
    const management = props.account.id === inv.managementAccountId;
    const permissions = permissionsForAccount(props.permissions, props.account.id === inv.securityAccountId);
    this.roles = new RemediationRoles(this, 'roles', {
      provider: this.provider,
      accountId: props.account.id,
      organizationId: inv.organizationId,
      remediationRoleName: remediationRoleName(inv),
      readOnlyRoleName: readOnlyRoleName(inv),
      remediatorRoleArn: functionRoleArn(inv, 'remediateMember'),
      readerRoleArns: [functionRoleArn(inv, 'remediateMember'), functionRoleArn(inv, 'triage')],
      remediationActions: permissions.mutating,
      readActions: permissions.read,
      passRoleArns: permissions.passesRole ? [roleArn(props.account.id, forwarderRoleName(inv))] : [],
      undoRoleName: remediationUndoRoleName(inv),
      undoActions: permissions.undo,
      centralBusArn: centralBusArn(inv),
      attachablePolicyArns: permissions.attachablePolicyArns,
      protectedRoleNames: protectedRoleNames(inv),
      namePrefix: inv.namePrefix,
      changeRoles: !management || inv.remediateManagementAccount === true,
      permissionsBoundary: management && inv.remediateManagementAccount === true,
    });
  }
}
