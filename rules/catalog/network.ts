/**
 * Network detections: security groups and network ACLs opened to the world on SSH/RDP/all ports, and the CIS
 * 4.10–4.14 records of security group, NACL, gateway, route table and VPC changes.
 */
import type { Detection } from '../types';
import { apiCall, cisMonitoring } from './shared';

export const NETWORK: readonly Detection[] = [
  {
    id: 'ec2-security-group-world-open-ingress',
    supersedes: ['ec2-security-group-changed'],
    title: 'Security group opened to the internet on SSH, RDP or all ports',
    class: 'exposure',
    severity: 'critical',
    rationale:
      'Ingress from the whole internet (0.0.0.0/0, ::/0, or blocks that add up to it) to port 22, 3389 or all ' +
      'ports exposes every instance in the group to internet-wide scanning and brute force within minutes.',
    compliance: {
      ...cisMonitoring(10),
      cis: ['4.10', '3.10 (v1.2)', '5.2 (v1.4)', '5.3 (v1.4)'],
      pciDss: ['1.3.1', '1.2.2'],
      soc2: ['CC6.6'],
      mitre: ['T1562.007', 'T1133'],
    },
    // No content pre-filter: world access may be a union of CIDRs (`0.0.0.0/1` + `128.0.0.0/1`), or the
    // request may be truncated (`omitted: true`) with the rules in `responseElements`. The predicate reads
    // every shape (rules/exposure.ts); the events are forwarded for the CIS 4.10 monitor anyway.
    ...apiCall('ec2', ['AuthorizeSecurityGroupIngress']),
    predicate: 'ingressOpensAdminPortsToWorld',
    remediation: { action: 'revoke-world-open-ingress', defaultMode: 'auto' },
  },
  {
    id: 'ec2-security-group-rule-world-open',
    supersedes: ['ec2-security-group-changed'],
    title: 'Security group rule modified to allow the internet on SSH, RDP or all ports',
    class: 'exposure',
    severity: 'critical',
    rationale:
      'ModifySecurityGroupRules rewrote existing rules so that the whole internet (0.0.0.0/0, ::/0, or blocks that ' +
      'add up to it) reaches port 22, 3389 or all ports; CIS 4.10 filters miss this API entirely.',
    compliance: {
      ...cisMonitoring(10),
      cis: ['4.10', '3.10 (v1.2)', '5.2 (v1.4)', '5.3 (v1.4)'],
      pciDss: ['1.3.1', '1.2.2'],
      soc2: ['CC6.6'],
      mitre: ['T1562.007', 'T1133'],
    },
    // As above: the rules of one request may add up to the world; the predicate decides.
    ...apiCall('ec2', ['ModifySecurityGroupRules']),
    predicate: 'modifiedRuleOpensAdminPortsToWorld',
    // The request does not say whether the rule is ingress or egress, and the rule existed before: a human
    // confirms before the remediation (which re-reads the rule) revokes it.
    remediation: { action: 'revoke-world-open-ingress', defaultMode: 'approve' },
  },
  {
    id: 'ec2-security-group-changed',
    title: 'Security group changed',
    class: 'change',
    severity: 'info',
    rationale:
      'Security groups are the instance-level firewall; every change is recorded for review (CIS 4.10, plus ' +
      'ModifySecurityGroupRules, which the CIS filter misses).',
    compliance: { ...cisMonitoring(10), pciDss: ['1.2.2', '10.2.1.7'], soc2: ['CC6.6', 'CC8.1'], mitre: ['T1562.007'] },
    ...apiCall('ec2', [
      'AuthorizeSecurityGroupEgress',
      'AuthorizeSecurityGroupIngress',
      'CreateSecurityGroup',
      'DeleteSecurityGroup',
      'ModifySecurityGroupRules',
      'RevokeSecurityGroupEgress',
      'RevokeSecurityGroupIngress',
    ]),
  },
  {
    id: 'ec2-network-acl-world-open-ingress',
    supersedes: ['ec2-network-acl-changed'],
    title: 'Network ACL opened to the internet on SSH, RDP or all ports',
    class: 'exposure',
    severity: 'high',
    rationale:
      'A network ACL entry now allows inbound traffic from 0.0.0.0/0 or ::/0 to port 22, 3389 or all ports: the ' +
      'subnet-level firewall no longer stops internet-wide scanning of every instance in its subnets.',
    compliance: {
      ...cisMonitoring(11),
      cis: ['4.11', '3.11 (v1.2)', '5.1 (v1.4)'],
      pciDss: ['1.3.1', '1.2.2'],
      soc2: ['CC6.6'],
      mitre: ['T1133', 'T1562.007'],
    },
    // No content pre-filter: the predicate reads allow/deny, direction, protocol and ports (numbers,
    // names or strings) and the CIDRs of the entry (rules/exposure.ts).
    ...apiCall('ec2', ['CreateNetworkAclEntry', 'ReplaceNetworkAclEntry']),
    predicate: 'networkAclEntryOpensAdminPortsToWorld',
    remediation: { action: 'delete-world-open-nacl-entry', defaultMode: 'notify' },
  },
  {
    id: 'ec2-network-acl-changed',
    title: 'Network ACL changed',
    class: 'change',
    severity: 'info',
    rationale: 'Network ACLs are the subnet-level firewall; every change is recorded for review (CIS 4.11).',
    compliance: { ...cisMonitoring(11), pciDss: ['1.2.2', '10.2.1.7'], soc2: ['CC6.6', 'CC8.1'], mitre: ['T1562.007'] },
    ...apiCall('ec2', [
      'CreateNetworkAcl',
      'CreateNetworkAclEntry',
      'DeleteNetworkAcl',
      'DeleteNetworkAclEntry',
      'ReplaceNetworkAclAssociation',
      'ReplaceNetworkAclEntry',
    ]),
  },
  {
    id: 'ec2-network-gateway-changed',
    title: 'Internet or customer gateway changed',
    class: 'change',
    severity: 'info',
    rationale:
      'Gateways decide which networks a VPC can reach; a new or re-attached internet gateway can open a private ' +
      'network to the internet (CIS 4.12).',
    compliance: { ...cisMonitoring(12), pciDss: ['1.2.2', '1.4.1'], soc2: ['CC6.6', 'CC8.1'], mitre: ['T1599'] },
    ...apiCall('ec2', [
      'AttachInternetGateway',
      'CreateCustomerGateway',
      'CreateInternetGateway',
      'DeleteCustomerGateway',
      'DeleteInternetGateway',
      'DetachInternetGateway',
    ]),
  },
  {
    id: 'ec2-route-table-changed',
    title: 'Route table changed',
    class: 'change',
    severity: 'info',
    rationale:
      'Routes decide where traffic goes; a changed route can send private traffic through an attacker-controlled ' +
      'appliance or to the internet (CIS 4.13).',
    compliance: { ...cisMonitoring(13), pciDss: ['1.2.2', '10.2.1.7'], soc2: ['CC6.6', 'CC8.1'], mitre: ['T1599'] },
    ...apiCall('ec2', [
      'CreateRoute',
      'CreateRouteTable',
      'DeleteRoute',
      'DeleteRouteTable',
      'DisassociateRouteTable',
      'ReplaceRoute',
      'ReplaceRouteTableAssociation',
    ]),
  },
  {
    id: 'ec2-vpc-changed',
    title: 'VPC or VPC peering changed',
    class: 'change',
    severity: 'info',
    rationale:
      'New VPCs, peerings and attribute changes alter the network perimeter; a peering to an unknown account is ' +
      'a path for data to leave (CIS 4.14).',
    compliance: { ...cisMonitoring(14), pciDss: ['1.2.2', '10.2.1.7'], soc2: ['CC6.6', 'CC8.1'], mitre: ['T1599'] },
    ...apiCall('ec2', [
      'AcceptVpcPeeringConnection',
      'AttachClassicLinkVpc',
      'CreateVpc',
      'CreateVpcPeeringConnection',
      'DeleteVpc',
      'DeleteVpcPeeringConnection',
      'DetachClassicLinkVpc',
      'DisableVpcClassicLink',
      'EnableVpcClassicLink',
      'ModifyVpcAttribute',
      'RejectVpcPeeringConnection',
    ]),
  },
  {
    id: 'ec2-ebs-default-encryption-disabled',
    title: 'EBS encryption by default disabled',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'New volumes and snapshots in the region will be created unencrypted from now on, which breaks data-at-rest ' +
      'requirements silently.',
    compliance: { cis: ['2.2.1 (v1.4)'], pciDss: ['3.5.1'], soc2: ['CC6.1'], mitre: ['T1562'] },
    ...apiCall('ec2', ['DisableEbsEncryptionByDefault']),
  },
  {
    id: 'ec2-flow-logs-deleted',
    title: 'VPC flow logs deleted',
    class: 'impairment',
    severity: 'high',
    rationale:
      'Flow logs are the network record responders rely on; deleting them hides later connections, typically ' +
      'before exfiltration or lateral movement.',
    compliance: { cis: ['3.9 (v1.4)'], pciDss: ['10.2.1.6', '10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.008'] },
    ...apiCall('ec2', ['DeleteFlowLogs']),
    noRemediation:
      'DeleteFlowLogs records only the flow log ids: the destination, log format, traffic type and delivery role needed to recreate them are gone, and the destination may have been deleted too.',
  },
];
