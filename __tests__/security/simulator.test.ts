import {
  ADMIN_POLICY,
  cachedConvertIamString,
  cachedResourceTypesForAction,
  fastCaseInsensitiveEndsWith,
  fastCaseInsensitiveEquals,
  iamPolicyUtils,
  principalArnOf,
  pruning,
  relevantStatements,
  simulate,
  simulatorResourceTypes,
  simulatorUtil,
  uncachedConvertIamString,
  uncachedResourceTypes,
} from '../helpers/iam-simulate';

// The simulator is the judge of every security property in this folder: prove it judges the way AWS does.
const RULE = 'arn:aws:events:eu-west-1:111111111111:rule/vigil-fwd-x';
const denyUnlessDeploy = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Deny',
      Action: 'events:DeleteRule',
      Resource: 'arn:aws:events:*:*:rule/vigil-*',
      Condition: { ArnNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::*:role/vigil-deploy'] } },
    },
  ],
};

describe('simulate', () => {
  it('applies an SCP deny to an administrator and lets the exempt role through', async () => {
    const run = (principal: string) =>
      simulate({
        principal,
        action: 'events:DeleteRule',
        resource: RULE,
        identityPolicies: [ADMIN_POLICY],
        serviceControlPolicies: [denyUnlessDeploy],
      });

    await expect(run('arn:aws:iam::111111111111:role/Admin')).resolves.toBe('ExplicitlyDenied');
    await expect(run('arn:aws:sts::111111111111:assumed-role/vigil-deploy/ci')).resolves.toBe('Allowed');
  });

  it('denies what no policy allows', async () => {
    await expect(
      simulate({ principal: 'arn:aws:iam::111111111111:role/Nobody', action: 'events:DeleteRule', resource: RULE }),
    ).resolves.toBe('ImplicitlyDenied');
  });

  it('evaluates org conditions of a resource policy for a cross-account caller', async () => {
    const bus = 'arn:aws:events:eu-west-1:222222222222:event-bus/vigil-security';
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: bus,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' } },
        },
      ],
    };
    const put = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: '*' }] };
    const run = (principalOrgId: string) =>
      simulate({
        principal: 'arn:aws:iam::111111111111:role/any',
        principalOrgId,
        action: 'events:PutEvents',
        resource: bus,
        identityPolicies: [put],
        resourcePolicy: policy,
      });

    await expect(run('o-exampleorg1')).resolves.toBe('Allowed');
    await expect(run('o-someoneelse')).resolves.toBe('ImplicitlyDenied');
  });

  it('fails when the simulator rejects the request instead of answering', async () => {
    await expect(
      simulate({ principal: 'arn:aws:iam::111111111111:role/a', action: 'events:NoSuchAction', resource: RULE }),
    ).rejects.toThrow(/simulator rejected/);
  });

  it('maps an assumed-role session to its role ARN, as aws:PrincipalArn does', () => {
    expect(principalArnOf('arn:aws:sts::111111111111:assumed-role/vigil-deploy/ci')).toBe(
      'arn:aws:iam::111111111111:role/vigil-deploy',
    );
  });
});

// The helper's speed-ups (__tests__/helpers/iam-simulate.ts) must change nothing the simulator answers.
describe('simulator speed-ups', () => {
  const PAIRS: readonly (readonly [string, string])[] = [
    ['ForAllValues', 'forallvalues'],
    ['ForAnyValue', 'FORANYVALUE'],
    ['ForAllValues', 'ForAnyValue'],
    ['StringEqualsIfExists', 'stringequalsifexists'],
    ['IfExists', 'ifexists'],
    ['IfExists', 'IfExist'],
    ['résumé', 'RÉSUMÉ'],
    ['résumé', 'resume'],
    ['', ''],
    ['a', ''],
  ];

  it('compares condition operators exactly as localeCompare with accent sensitivity does', () => {
    const expected = PAIRS.map(([a, b]) => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0);

    expect(PAIRS.map(([a, b]) => fastCaseInsensitiveEquals(a, b))).toEqual(expected);
    expect(expected).toEqual([true, true, false, true, true, false, true, false, true, false]);
    expect(fastCaseInsensitiveEndsWith('StringLikeIfExists', 'ifexists')).toBe(true);
    expect(fastCaseInsensitiveEndsWith('StringLike', 'IfExists')).toBe(false);
  });

  it('is what the simulator calls', () => {
    expect(iamPolicyUtils.caseInsensitiveEquals).toBe(fastCaseInsensitiveEquals);
    expect(iamPolicyUtils.caseInsensitiveEndsWith).toBe(fastCaseInsensitiveEndsWith);
    expect(simulatorResourceTypes.getResourceTypesForAction).toBe(cachedResourceTypesForAction);
    expect(simulatorUtil.convertIamString).toBe(cachedConvertIamString);
  });

  it('converts a policy string without variables as the simulator does, once per string and options', () => {
    const strings = ['arn:aws:events:*:*:rule/vigil-?x', 'a.b(c)+[d]', '*', '', 'x*y?z'];
    const optionSets = [undefined, { replaceWildcards: false }, { convertToRegex: false, replaceWildcards: false }];
    const shown = (v: unknown) =>
      typeof v === 'string'
        ? v
        : { pattern: String((v as { pattern: RegExp }).pattern), errors: (v as { errors?: unknown }).errors };
    const pairs = strings.flatMap((value) =>
      optionSets.map((options) => ({
        value,
        options,
        cached: shown(cachedConvertIamString(value, undefined, options)),
        again: [1, 2].map(() => cachedConvertIamString(value, undefined, options)).every((v, _, all) => v === all[0]),
      })),
    );

    expect(pairs).toEqual(
      strings.flatMap((value) =>
        optionSets.map((options) => ({
          value,
          options,
          cached: shown(uncachedConvertIamString(value, undefined, options)),
          again: true,
        })),
      ),
    );
    expect(shown(cachedConvertIamString('vigil-*', undefined))).toEqual({
      pattern: '/^vigil-.*?$/',
      errors: undefined,
    });
  });

  it('resolves policy variables per request: a string with a variable is never remembered', async () => {
    const ownBucket = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::logs-${aws:PrincipalAccount}/*' }],
    };
    const get = (account: string, bucketAccount: string) =>
      simulate({
        principal: `arn:aws:iam::${account}:role/Reader`,
        action: 's3:GetObject',
        resource: `arn:aws:s3:::logs-${bucketAccount}/key`,
        resourceAccount: account,
        identityPolicies: [ownBucket],
      });

    await expect(get('111111111111', '111111111111')).resolves.toBe('Allowed');
    await expect(get('222222222222', '111111111111')).resolves.toBe('ImplicitlyDenied');
    await expect(get('222222222222', '222222222222')).resolves.toBe('Allowed');
  });

  it('remembers resource types per request, giving each caller its own equal list', async () => {
    const args = ['s3', 'GetObject', 'arn:aws:s3:::bucket/key'] as const;
    const first = await cachedResourceTypesForAction(...args);
    const second = await cachedResourceTypesForAction(...args);

    expect(second).not.toBe(first);
    expect(second).toEqual(first);
    expect(first).toEqual(await uncachedResourceTypes(...args));
    expect(first).toHaveLength(1);
    await expect(cachedResourceTypesForAction('s3', 'NoSuchAction', '*')).rejects.toThrow();
  });

  it('still rejects an invalid policy every time it is used (validation is remembered, not skipped)', async () => {
    const invalid = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:DeleteRule' }] };
    const run = () =>
      simulate({
        principal: 'arn:aws:iam::111111111111:role/Admin',
        action: 'events:DeleteRule',
        resource: RULE,
        identityPolicies: [invalid],
      });

    await expect(run()).rejects.toThrow(/rejected the request/);
    await expect(run()).rejects.toThrow(/rejected the request/);
  });

  it("still rejects a policy whose invalid statement names another service than the request's", async () => {
    const invalid = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'events:DeleteRule', Resource: '*' },
        { Effect: 'Allow', Action: 's3:GetObject' },
      ],
    };
    await expect(
      simulate({
        principal: 'arn:aws:iam::111111111111:role/Admin',
        action: 'events:DeleteRule',
        resource: RULE,
        identityPolicies: [invalid],
      }),
    ).rejects.toThrow(/rejected the request/);
  });

  it('leaves out only statements none of whose Action entries can match the action', () => {
    const st = (Action: unknown) => ({ Effect: 'Deny', Action, Resource: '*' });
    const kept = [
      st('events:PutRule'),
      st('EVENTS:put*'),
      st('events:pUTrULE'),
      st('events:P?tRule'),
      st('events:*'),
      st('events:*Rule'),
      st(['s3:GetObject', 'Events:PutRule']),
      st(['events:DeleteRule', 'events:Put*']),
      st('*'),
      st('ev*:Put*'),
      st('e?ents:PutRule'),
      // Not only letters, digits and wildcards: kept, whatever the simulator makes of it.
      st('events:Put.ule'),
      st('events:'),
      st('notAnAction'),
      st([]),
      { Effect: 'Deny', NotAction: 's3:*', Resource: '*' },
      { Effect: 'Deny', NotAction: 'events:PutRule', Resource: '*' },
      { Effect: 'Deny', Resource: '*' },
    ];
    const dropped = [
      st('s3:*'),
      st(['iam:PassRole', 'lambda:InvokeFunction']),
      st('eventbridge:PutRule'),
      st('events:DeleteRule'),
      st('events:PutRuleX'),
      st('events:Put'),
      st('events:?utRul'),
      st('events:Delete*'),
      st(['events:DisableRule', 's3:PutObject', 'events:P?Rule']),
    ];
    const policy = { Version: '2012-10-17', Statement: [...dropped.slice(0, 4), ...kept, ...dropped.slice(4)] };
    expect(relevantStatements(policy, 'events:PutRule')).toEqual({ Version: '2012-10-17', Statement: kept });
    // Nothing to leave out: the same document.
    const all = { Version: '2012-10-17', Statement: kept };
    expect(relevantStatements(all, 'events:PutRule')).toBe(all);
  });

  it('decides as with every statement simulated, for each kind of policy', async () => {
    const admin = 'arn:aws:iam::111111111111:role/Admin';
    const other = { Effect: 'Deny', Action: ['s3:*', 'iam:*'], Resource: '*' };
    const scp = { Version: '2012-10-17', Statement: [...denyUnlessDeploy.Statement, other] };
    const onlyOther = { Version: '2012-10-17', Statement: [other] };
    const allowS3 = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
    const otherAction = { Effect: 'Deny', Action: ['events:Put*', 'events:D?sableRule'], Resource: '*' };
    const requests = [
      { principal: admin, action: 'events:DeleteRule', resource: RULE, serviceControlPolicies: [scp] },
      // Statements of the same service, for other actions only.
      { principal: admin, action: 'events:EnableRule', resource: RULE, serviceControlPolicies: [scp] },
      {
        principal: admin,
        action: 'events:DeleteRule',
        resource: RULE,
        serviceControlPolicies: [{ Version: '2012-10-17', Statement: [otherAction] }],
      },
      {
        principal: admin,
        action: 'events:DisableRule',
        resource: RULE,
        serviceControlPolicies: [{ Version: '2012-10-17', Statement: [otherAction] }],
      },
      { principal: admin, action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', serviceControlPolicies: [scp] },
      { principal: admin, action: 'events:DeleteRule', resource: RULE, serviceControlPolicies: [onlyOther] },
      // Identity policies of another service only: nothing allows.
      { principal: admin, action: 'events:DeleteRule', resource: RULE, identityPolicies: [allowS3] },
      // A boundary allowing another service only: its absence would allow, so it stays.
      { principal: admin, action: 'events:DeleteRule', resource: RULE, permissionsBoundary: allowS3 },
      {
        principal: 'arn:aws:iam::222222222222:role/Reader',
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::b/k',
        resourceAccount: '111111111111',
        resourcePolicy: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: '*', Action: 'events:*', Resource: '*' },
            {
              Effect: 'Allow',
              Principal: { AWS: '222222222222' },
              Action: 's3:GetObject',
              Resource: 'arn:aws:s3:::b/*',
            },
          ],
        },
      },
    ].map((r) => ({ identityPolicies: [ADMIN_POLICY], ...r }));
    const decide = async (enabled: boolean) => {
      pruning.enabled = enabled;
      try {
        return await Promise.all(requests.map((r) => simulate(r)));
      } finally {
        pruning.enabled = true;
      }
    };
    const full = await decide(false);
    expect(await decide(true)).toEqual(full);
    expect(full).toEqual([
      'ExplicitlyDenied',
      'Allowed',
      'Allowed',
      'ExplicitlyDenied',
      'ExplicitlyDenied',
      'Allowed',
      'ImplicitlyDenied',
      'ImplicitlyDenied',
      'Allowed',
    ]);
  });
});
