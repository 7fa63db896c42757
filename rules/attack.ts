/**
 * MITRE ATT&CK (Enterprise, v17) facts the catalog cites: each technique id in `compliance.mitre` with its
 * name and the tactics it belongs to. Used to render the ATT&CK coverage (docs/detections.md, the Navigator
 * layer docs/attack-navigator-layer.json); __tests__/docs/attack-coverage.test.ts fails when the catalog
 * cites an id missing here. Names and tactics are copied from attack.mitre.org; a sub-technique lists its
 * parent's tactics. Ids not (yet) cited are kept for the cloud techniques detections commonly map to.
 */

/** ATT&CK Enterprise tactics in matrix order (shortname as in the Navigator, id, display name). */
export const TACTICS = [
  ['reconnaissance', 'TA0043', 'Reconnaissance'],
  ['resource-development', 'TA0042', 'Resource Development'],
  ['initial-access', 'TA0001', 'Initial Access'],
  ['execution', 'TA0002', 'Execution'],
  ['persistence', 'TA0003', 'Persistence'],
  ['privilege-escalation', 'TA0004', 'Privilege Escalation'],
  ['defense-evasion', 'TA0005', 'Defense Evasion'],
  ['credential-access', 'TA0006', 'Credential Access'],
  ['discovery', 'TA0007', 'Discovery'],
  ['lateral-movement', 'TA0008', 'Lateral Movement'],
  ['collection', 'TA0009', 'Collection'],
  ['command-and-control', 'TA0011', 'Command and Control'],
  ['exfiltration', 'TA0010', 'Exfiltration'],
  ['impact', 'TA0040', 'Impact'],
] as const;

export type Tactic = (typeof TACTICS)[number][0];

export interface Technique {
  readonly name: string;
  readonly tactics: readonly Tactic[];
}

const PERSIST_PRIV: readonly Tactic[] = ['persistence', 'privilege-escalation'];

/** The ATT&CK version the names and tactics below are taken from (the Navigator layer states it). */
export const ATTACK_VERSION = '17';

export const TECHNIQUES: Readonly<Record<string, Technique>> = {
  T1020: { name: 'Automated Exfiltration', tactics: ['exfiltration'] },
  T1021: { name: 'Remote Services', tactics: ['lateral-movement'] },
  'T1021.004': { name: 'Remote Services: SSH', tactics: ['lateral-movement'] },
  'T1021.008': { name: 'Remote Services: Direct Cloud VM Connections', tactics: ['lateral-movement'] },
  T1040: { name: 'Network Sniffing', tactics: ['credential-access', 'discovery'] },
  'T1059.009': { name: 'Command and Scripting Interpreter: Cloud API', tactics: ['execution'] },
  T1070: { name: 'Indicator Removal', tactics: ['defense-evasion'] },
  'T1078.004': {
    name: 'Valid Accounts: Cloud Accounts',
    tactics: ['initial-access', 'persistence', 'privilege-escalation', 'defense-evasion'],
  },
  'T1087.004': { name: 'Account Discovery: Cloud Account', tactics: ['discovery'] },
  T1098: { name: 'Account Manipulation', tactics: PERSIST_PRIV },
  'T1098.001': { name: 'Account Manipulation: Additional Cloud Credentials', tactics: PERSIST_PRIV },
  'T1098.003': { name: 'Account Manipulation: Additional Cloud Roles', tactics: PERSIST_PRIV },
  'T1098.004': { name: 'Account Manipulation: SSH Authorized Keys', tactics: PERSIST_PRIV },
  T1110: { name: 'Brute Force', tactics: ['credential-access'] },
  'T1110.001': { name: 'Brute Force: Password Guessing', tactics: ['credential-access'] },
  'T1110.003': { name: 'Brute Force: Password Spraying', tactics: ['credential-access'] },
  T1133: { name: 'External Remote Services', tactics: ['initial-access', 'persistence'] },
  'T1136.003': { name: 'Create Account: Cloud Account', tactics: ['persistence'] },
  T1190: { name: 'Exploit Public-Facing Application', tactics: ['initial-access'] },
  T1199: { name: 'Trusted Relationship', tactics: ['initial-access'] },
  'T1204.003': { name: 'User Execution: Malicious Image', tactics: ['execution'] },
  T1484: { name: 'Domain or Tenant Policy Modification', tactics: ['defense-evasion', 'privilege-escalation'] },
  'T1484.002': {
    name: 'Domain or Tenant Policy Modification: Trust Modification',
    tactics: ['defense-evasion', 'privilege-escalation'],
  },
  T1485: { name: 'Data Destruction', tactics: ['impact'] },
  T1486: { name: 'Data Encrypted for Impact', tactics: ['impact'] },
  T1490: { name: 'Inhibit System Recovery', tactics: ['impact'] },
  T1496: { name: 'Resource Hijacking', tactics: ['impact'] },
  'T1496.004': { name: 'Resource Hijacking: Cloud Service Hijacking', tactics: ['impact'] },
  T1525: { name: 'Implant Internal Image', tactics: ['persistence'] },
  T1526: { name: 'Cloud Service Discovery', tactics: ['discovery'] },
  T1528: { name: 'Steal Application Access Token', tactics: ['credential-access'] },
  T1530: { name: 'Data from Cloud Storage', tactics: ['collection'] },
  T1535: { name: 'Unused/Unsupported Cloud Regions', tactics: ['defense-evasion'] },
  T1537: { name: 'Transfer Data to Cloud Account', tactics: ['exfiltration'] },
  T1538: { name: 'Cloud Service Dashboard', tactics: ['discovery'] },
  T1546: { name: 'Event Triggered Execution', tactics: PERSIST_PRIV },
  T1548: { name: 'Abuse Elevation Control Mechanism', tactics: ['privilege-escalation', 'defense-evasion'] },
  'T1548.005': {
    name: 'Abuse Elevation Control Mechanism: Temporary Elevated Cloud Access',
    tactics: ['privilege-escalation', 'defense-evasion'],
  },
  'T1550.001': {
    name: 'Use Alternate Authentication Material: Application Access Token',
    tactics: ['defense-evasion', 'lateral-movement'],
  },
  T1552: { name: 'Unsecured Credentials', tactics: ['credential-access'] },
  'T1552.005': { name: 'Unsecured Credentials: Cloud Instance Metadata API', tactics: ['credential-access'] },
  'T1555.006': {
    name: 'Credentials from Password Stores: Cloud Secrets Management Stores',
    tactics: ['credential-access'],
  },
  T1556: { name: 'Modify Authentication Process', tactics: ['credential-access', 'defense-evasion', 'persistence'] },
  'T1556.006': {
    name: 'Modify Authentication Process: Multi-Factor Authentication',
    tactics: ['credential-access', 'defense-evasion', 'persistence'],
  },
  T1562: { name: 'Impair Defenses', tactics: ['defense-evasion'] },
  'T1562.001': { name: 'Impair Defenses: Disable or Modify Tools', tactics: ['defense-evasion'] },
  'T1562.007': { name: 'Impair Defenses: Disable or Modify Cloud Firewall', tactics: ['defense-evasion'] },
  'T1562.008': { name: 'Impair Defenses: Disable or Modify Cloud Logs', tactics: ['defense-evasion'] },
  T1565: { name: 'Data Manipulation', tactics: ['impact'] },
  T1567: { name: 'Exfiltration Over Web Service', tactics: ['exfiltration'] },
  T1578: { name: 'Modify Cloud Compute Infrastructure', tactics: ['defense-evasion'] },
  'T1578.001': { name: 'Modify Cloud Compute Infrastructure: Create Snapshot', tactics: ['defense-evasion'] },
  'T1578.002': { name: 'Modify Cloud Compute Infrastructure: Create Cloud Instance', tactics: ['defense-evasion'] },
  'T1578.005': {
    name: 'Modify Cloud Compute Infrastructure: Modify Cloud Compute Configurations',
    tactics: ['defense-evasion'],
  },
  T1580: { name: 'Cloud Infrastructure Discovery', tactics: ['discovery'] },
  T1599: { name: 'Network Boundary Bridging', tactics: ['defense-evasion'] },
  T1606: { name: 'Forge Web Credentials', tactics: ['credential-access'] },
  T1610: { name: 'Deploy Container', tactics: ['defense-evasion', 'execution'] },
  T1619: { name: 'Cloud Storage Object Discovery', tactics: ['discovery'] },
  T1621: { name: 'Multi-Factor Authentication Request Generation', tactics: ['credential-access'] },
  T1648: { name: 'Serverless Execution', tactics: ['execution'] },
  T1651: { name: 'Cloud Administration Command', tactics: ['execution'] },
  T1666: { name: 'Modify Cloud Resource Hierarchy', tactics: ['defense-evasion'] },
};
