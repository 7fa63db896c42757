/** The central bus: admits only the organization's forwarder roles, only PutEvents; archived for replay. */
import { CloudwatchEventArchive } from '../../framework/aws';
import { CloudwatchEventBus } from '../../framework/aws';
import { CloudwatchEventBusPolicy } from '../../framework/aws';
import {
  archiveName,
  CENTRAL_BUS_POLICY_SID,
  centralBusArn,
  centralBusName,
  forwarderRoleName,
} from '../../config/naming';
import { policyDocument } from '../policy-document';
import type { SecurityContext } from './context';

export function centralBus(ctx: SecurityContext): CloudwatchEventBus {
  const { inv, provider } = ctx;
  const bus = new CloudwatchEventBus(ctx.scope, 'bus', { provider, name: centralBusName(inv) });
  // One org-scoped statement: its size does not grow with the organization (10,240-character limit).
  // Only the forwarder role (any org account, no path: member stacks create it at the root path) may
  // put events; any other principal of the org, an admin included, could otherwise inject fake ones.
  new CloudwatchEventBusPolicy(ctx.scope, 'bus-policy', {
    provider,
    eventBusName: bus.name,
    policy: policyDocument([
      {
        Sid: CENTRAL_BUS_POLICY_SID,
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: centralBusArn(inv),
        Condition: {
          StringEquals: { 'aws:PrincipalOrgID': inv.organizationId },
          ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::*:role/${forwarderRoleName(inv)}` },
        },
      },
    ]),
  });
  new CloudwatchEventArchive(ctx.scope, 'archive', {
    provider,
    name: archiveName(inv),
    description: 'Every security event forwarded to the central bus, for replay',
    eventSourceArn: bus.arn,
    retentionDays: inv.archiveRetentionDays ?? 365,
  });
  return bus;
}
