import type { Construct } from 'constructs';
import { type Account, accountRegions, type OrgInventory } from '../config/inventory';
import { centralBusArn, forwarderRoleName } from '../config/naming';
import { GLOBAL_EVENTS_REGION } from '../config/regions';
import { ForwardingRules } from '../constructs/forwarding-rules';
import type { ForwardedPattern } from '../rules/patterns';
import { VigilStack } from './vigil-stack';

export interface MemberStackProps {
  readonly inventory: OrgInventory;
  readonly account: Account;
  /** Forwarding patterns derived from the catalog (`forwardingPatterns(CATALOG)`). */
  readonly patterns: readonly ForwardedPattern[];
}

/**
 * One member account (management, log-archive and security included): forwarding rules in every
 * enabled region of the account, and the forwarder role they use.
 */
export class MemberStack extends VigilStack {
  readonly forwarding: ForwardingRules;

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
  }
}
