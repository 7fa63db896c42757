/**
 * Persistence and execution (issue #13): Lambda backdoors (public function URLs, resource policies and
 * layer permissions for everyone or foreign accounts, code changed), EC2 user data changed, SSM commands
 * and sessions, EC2 Instance Connect and serial-console key pushes, IAM Roles Anywhere trust anchors,
 * federation tokens of IAM users, and every role trust policy change.
 *
 * Lambda's CloudTrail event names carry the API version (`AddPermission20150331v2`,
 * `UpdateFunctionCode20150331v2`); both the versioned names in use and the plain ones are listed.
 */
import type { Detection } from '../types';
import { apiCall, NOT_BY_VIGIL } from './shared';

const BACKDOOR_NOT_REMEDIATED =
  'Removing a permission or URL can break a legitimate integration (webhooks, partner accounts); the owner ' +
  'must confirm before it goes.';

export const PERSISTENCE: readonly Detection[] = [
  {
    id: 'lambda-function-url-public',
    title: 'Lambda function URL created or changed with no authentication',
    class: 'exposure',
    severity: 'high',
    rationale:
      'A function URL with auth type NONE lets anyone on the internet invoke the function with its role: a ' +
      'ready-made backdoor into the account (Stratus Red Team lambda-function-url).',
    compliance: { pciDss: ['1.4.1'], soc2: ['CC6.1', 'CC6.6'], mitre: ['T1546', 'T1190'] },
    ...apiCall(
      'lambda',
      [
        'CreateFunctionUrlConfig',
        'CreateFunctionUrlConfig20211031',
        'UpdateFunctionUrlConfig',
        'UpdateFunctionUrlConfig20211031',
      ],
      { requestParameters: { authType: ['NONE'] } },
    ),
    noRemediation: BACKDOOR_NOT_REMEDIATED,
  },
  {
    id: 'lambda-function-policy-outside-org',
    title: 'Lambda function permission for everyone or an account outside the organization',
    class: 'privilege',
    severity: 'high',
    rationale:
      'A resource policy statement for "*" (not confined to the organization or to a source in it) or a foreign ' +
      'account lets outsiders invoke the function, or change it if management actions are granted ' +
      '(Stratus Red Team lambda-backdoor-function).',
    compliance: { soc2: ['CC6.1', 'CC6.3'], mitre: ['T1546', 'T1098'] },
    ...apiCall('lambda', ['AddPermission', 'AddPermission20150331', 'AddPermission20150331v2']),
    predicate: 'resourcePolicyAdmitsOutsideOrg',
    noRemediation: BACKDOOR_NOT_REMEDIATED,
  },
  {
    id: 'lambda-layer-shared-outside-org',
    title: 'Lambda layer shared with everyone or an account outside the organization',
    class: 'exposure',
    severity: 'medium',
    rationale:
      'A layer version permission for "*" or a foreign account publishes the layer code (and anything bundled ' +
      'with it) outside the organization.',
    compliance: { soc2: ['CC6.1'], mitre: ['T1537'] },
    ...apiCall('lambda', ['AddLayerVersionPermission', 'AddLayerVersionPermission20181031']),
    predicate: 'resourcePolicyAdmitsOutsideOrg',
  },
  {
    id: 'lambda-function-code-updated',
    title: 'Lambda function code replaced outside the deploy role',
    class: 'change',
    severity: 'info',
    rationale:
      'Replacing the code of a function runs new code with the function role on every invocation; outside the ' +
      'deploy pipeline it is how functions are backdoored (Stratus Red Team lambda-overwrite-code).',
    compliance: { soc2: ['CC8.1'], mitre: ['T1525', 'T1546'] },
    ...apiCall('lambda', ['UpdateFunctionCode', 'UpdateFunctionCode20150331v2'], NOT_BY_VIGIL),
  },
  {
    id: 'lambda-function-layers-changed',
    title: 'Lambda function layers changed outside the deploy role',
    class: 'change',
    severity: 'info',
    rationale:
      'A layer (or extension) added to a function runs inside every invocation with the function role and ' +
      'sees its events and secrets (Stratus Red Team lambda-layer-extension).',
    compliance: { soc2: ['CC8.1'], mitre: ['T1525', 'T1546'] },
    ...apiCall('lambda', ['UpdateFunctionConfiguration', 'UpdateFunctionConfiguration20150331v2'], {
      requestParameters: { layers: [{ exists: true }] },
      ...NOT_BY_VIGIL,
    }),
  },
  {
    id: 'ec2-instance-user-data-changed',
    title: 'EC2 instance user data changed',
    class: 'privilege',
    severity: 'high',
    rationale:
      'User data runs as root at the next boot; changing it on a stopped instance is a way to run code with the ' +
      'instance role and keep it (Stratus Red Team ec2-user-data).',
    compliance: { soc2: ['CC6.1', 'CC8.1'], mitre: ['T1059.009', 'T1546'] },
    ...apiCall('ec2', ['ModifyInstanceAttribute'], { requestParameters: { userData: [{ exists: true }] } }),
    noRemediation:
      'The previous user data is not in the event (CloudTrail hides the value), so it cannot be restored; the ' +
      'owner inspects the instance before starting it.',
  },
  {
    id: 'ssm-command-sent',
    title: 'SSM Run Command sent to instances',
    class: 'change',
    severity: 'info',
    rationale:
      'Run Command executes shell commands as root on the instances; from a principal that does not usually ' +
      'administer them it is remote execution (Stratus Red Team ssm-send-command).',
    compliance: { soc2: ['CC6.1'], mitre: ['T1651'] },
    ...apiCall('ssm', ['SendCommand']),
  },
  {
    id: 'ssm-command-to-many-instances',
    supersedes: ['ssm-command-sent'],
    title: 'SSM Run Command sent to many instances at once',
    class: 'privilege',
    severity: 'high',
    rationale:
      'One command to ten or more instances, or to every instance with a tag, runs the same code across the ' +
      'fleet as root: how attackers harvest credentials or deploy miners at scale.',
    compliance: { soc2: ['CC6.1'], mitre: ['T1651'] },
    ...apiCall('ssm', ['SendCommand']),
    predicate: 'commandToManyInstances',
    noRemediation:
      'A command already sent cannot be recalled safely; cancelling it midway can leave instances half-changed.',
  },
  {
    id: 'ssm-session-started',
    title: 'SSM Session Manager session started',
    class: 'change',
    severity: 'info',
    rationale:
      'A Session Manager session is an interactive shell on the instance without SSH keys or open ports; check ' +
      'that the principal is one that administers the instance.',
    compliance: { soc2: ['CC6.1'], mitre: ['T1651', 'T1021'] },
    ...apiCall('ssm', ['StartSession']),
  },
  {
    id: 'ec2-instance-connect-key-pushed',
    title: 'SSH key pushed with EC2 Instance Connect or to the serial console',
    class: 'change',
    severity: 'info',
    rationale:
      'EC2 Instance Connect installs a one-time SSH key for 60 seconds; the serial-console variant reaches the ' +
      'instance even when its network is closed. Check who opened a shell on which instance.',
    compliance: { soc2: ['CC6.1'], mitre: ['T1098.004', 'T1021.004'] },
    ...apiCall('ec2-instance-connect', ['SendSSHPublicKey', 'SendSerialConsoleSSHPublicKey']),
  },
  {
    id: 'ec2-serial-console-access-enabled',
    title: 'EC2 serial console access enabled for the account',
    class: 'privilege',
    severity: 'medium',
    rationale:
      'The serial console gives a shell on instances regardless of security groups and network ACLs; it is ' +
      'off by default and should stay off outside of an incident.',
    compliance: { soc2: ['CC6.1', 'CC6.6'], mitre: ['T1021'] },
    ...apiCall('ec2', ['EnableSerialConsoleAccess']),
  },
  {
    id: 'rolesanywhere-trust-anchor-changed',
    title: 'IAM Roles Anywhere trust anchor created, changed or enabled',
    class: 'privilege',
    severity: 'high',
    rationale:
      'A trust anchor lets holders of certificates from its CA obtain role credentials from outside AWS; a ' +
      'rogue CA is a durable way in that survives key rotation.',
    compliance: { soc2: ['CC6.1', 'CC6.2'], mitre: ['T1098', 'T1556'] },
    ...apiCall('rolesanywhere', ['CreateTrustAnchor', 'UpdateTrustAnchor', 'EnableTrustAnchor']),
    noRemediation:
      'Disabling a trust anchor cuts off every workload that authenticates through it; the owner must confirm ' +
      'the CA first.',
  },
  {
    id: 'sts-federation-token-by-iam-user',
    title: 'Federation token obtained by an IAM user',
    class: 'privilege',
    severity: 'medium',
    rationale:
      'GetFederationToken turns a (possibly stolen) access key into session credentials that survive deleting ' +
      'the key for up to 36 hours: a known persistence step (Stratus Red Team sts-federation-token).',
    compliance: { soc2: ['CC6.1'], mitre: ['T1550.001', 'T1098'] },
    ...apiCall('sts', ['GetFederationToken'], { userIdentity: { type: ['IAMUser'] } }),
    readOnlyEvents: true,
  },
  {
    id: 'iam-role-trust-policy-updated',
    title: 'Role trust policy updated',
    class: 'change',
    severity: 'info',
    rationale:
      'Changing who may assume a role changes who holds its permissions; the outside-organization case alerts ' +
      'on its own (iam-role-trust-allows-outside-org), every other change is recorded here.',
    compliance: { soc2: ['CC6.2', 'CC8.1'], mitre: ['T1098.003'] },
    ...apiCall('iam', ['UpdateAssumeRolePolicy']),
  },
];
