import { Testing } from '../../framework/cdktf';
import { CATALOG } from '../../rules/catalog';
import { SecurityStack } from '../../stacks/security-stack';
import { MemberStack } from '../../stacks/member-stack';
import { forwardingPatterns } from '../../rules/patterns';
import { remediationPermissions } from '../../derive/remediation-permissions';
import { TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';
import { ADMIN_POLICY, simulate } from '../helpers/iam-simulate';
import { onlyResource, policyOf, synthJson } from '../helpers/synth';
import { functionResourcePolicy, roleNamed, synthesizedRoles } from '../helpers/synthesized-iam';

// The resource policies of the security account that face other accounts or the internet, evaluated
// over the synthesized JSON.
const security = synthJson(
  new SecurityStack(Testing.app(), 'security', {
    inventory: TEST_INVENTORY,
    catalog: CATALOG,
    // Findings on, so the findings queue, function, stream and bucket are part of what is checked.
    alerting: { ...TEST_ALERTING, findings: { securityHub: true, stream: { enabled: true } } },
    remediation: TEST_REMEDIATION,
  }),
);
const member = synthJson(
  new MemberStack(Testing.app(), 'member-444444444444', {
    inventory: TEST_INVENTORY,
    account: TEST_INVENTORY.accounts[3]!,
    patterns: forwardingPatterns(CATALOG),
    permissions: remediationPermissions(CATALOG),
  }),
);

const BUS_ARN = 'arn:aws:events:eu-west-1:333333333333:event-bus/vigil-security';
const ORG_ID = TEST_INVENTORY.organizationId;
const busPolicy = policyOf(onlyResource(security, 'aws_cloudwatch_event_bus_policy'));
const forwarder = roleNamed(synthesizedRoles(member, '444444444444'), 'vigil-forwarder');

describe('central bus policy', () => {
  const putEvents = (principal: string, identityPolicies: readonly object[], principalOrgId = ORG_ID) =>
    simulate({
      principal,
      action: 'events:PutEvents',
      resource: BUS_ARN,
      identityPolicies: identityPolicies as Record<string, unknown>[],
      resourcePolicy: busPolicy,
      principalOrgId,
    });

  it("lets a member account's forwarder role put events, with its synthesized policy", async () => {
    await expect(putEvents(forwarder.arn, forwarder.policies)).resolves.toBe('Allowed');
  });

  it('refuses an administrator of an organization account that is not the forwarder', async () => {
    await expect(putEvents('arn:aws:iam::444444444444:role/Admin', [ADMIN_POLICY])).resolves.toBe('ImplicitlyDenied');
  });

  it('refuses a look-alike forwarder on an IAM path', async () => {
    await expect(putEvents('arn:aws:iam::444444444444:role/evil/vigil-forwarder', [ADMIN_POLICY])).resolves.toBe(
      'ImplicitlyDenied',
    );
  });

  it('refuses a role of the forwarder name outside the organization', async () => {
    await expect(
      putEvents('arn:aws:iam::999999999999:role/vigil-forwarder', [ADMIN_POLICY], 'o-someoneelse'),
    ).resolves.toBe('ImplicitlyDenied');
  });

  it('stays one statement that names no member account, so its size does not grow with the org', () => {
    expect(busPolicy.Statement).toHaveLength(1);
    expect(JSON.stringify(busPolicy).match(/\d{12}/g)).toEqual(['333333333333']);
  });
});

describe('approval function URL', () => {
  const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:333333333333:function:vigil-approve';
  const resourcePolicy = functionResourcePolicy(security, 'vigil-approve', FUNCTION_ARN);
  // Slack and a browser following a signed link call from outside any AWS account.
  const anyone = (action: string, context: Record<string, string>) =>
    simulate({
      principal: 'arn:aws:iam::999999999999:role/anyone',
      principalOrgId: null,
      action,
      resource: FUNCTION_ARN,
      identityPolicies: [ADMIN_POLICY],
      resourcePolicy,
      context,
    });

  it('admits a public call through the URL: InvokeFunctionUrl and InvokeFunction via the URL', async () => {
    await expect(anyone('lambda:InvokeFunctionUrl', { 'lambda:FunctionUrlAuthType': 'NONE' })).resolves.toBe('Allowed');
    await expect(anyone('lambda:InvokeFunction', { 'lambda:InvokedViaFunctionUrl': 'true' })).resolves.toBe('Allowed');
  });

  it('refuses a direct public InvokeFunction that does not come through the URL', async () => {
    await expect(anyone('lambda:InvokeFunction', {})).resolves.toBe('ImplicitlyDenied');
    await expect(anyone('lambda:InvokeFunction', { 'lambda:InvokedViaFunctionUrl': 'false' })).resolves.toBe(
      'ImplicitlyDenied',
    );
  });

  it('pins a provider that knows invoked_via_function_url', () => {
    expect(security['terraform']['required_providers']['aws']['version']).toBe('6.29.0');
  });
});
