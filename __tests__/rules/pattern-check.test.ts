import { compilePattern, InvalidPatternError } from '../../rules/event-pattern';
import { assertValidPattern, patternProblems } from '../../rules/pattern-check';
import { MAX_PATTERN_LENGTH } from '../../rules/patterns';
import type { EventPattern } from '../../rules/types';

const API_CALL = 'AWS API Call via CloudTrail';

/** Uses every operator in every valid form; nothing in it is a problem. */
const EVERY_OPERATOR: EventPattern = {
  source: ['aws.ec2', 'aws.iam'],
  'detail-type': [API_CALL],
  resources: [{ exists: false }, { prefix: 'arn:aws:ec2:' }],
  detail: {
    eventName: [{ prefix: 'Authorize' }, { prefix: { 'equals-ignore-case': 'revoke' } }, { suffix: 'Ingress' }],
    eventSource: [
      { suffix: { 'equals-ignore-case': '.AMAZONAWS.COM' } },
      { 'equals-ignore-case': 'EC2.amazonaws.com' },
    ],
    errorCode: [{ exists: false }, null, ''],
    readOnly: [false, true],
    awsRegion: [{ 'anything-but': 'us-east-1' }],
    recipientAccountId: [{ 'anything-but': ['111111111111', '222222222222'] }],
    eventVersion: [{ 'anything-but': 1 }, { 'anything-but': [1.5, 2] }],
    userAgent: [
      { 'anything-but': { prefix: 'console.' } },
      { 'anything-but': { prefix: ['a', 'b'] } },
      { 'anything-but': { suffix: '.internal' } },
      { 'anything-but': { 'equals-ignore-case': ['Terraform', 'Pulumi'] } },
      { 'anything-but': { wildcard: '*/lib/*' } },
      { wildcard: 'aws-cli/\\**' },
    ],
    sourceIPAddress: [{ cidr: '10.0.0.0/8' }, { cidr: '2001:db8::/32' }, { cidr: '0.0.0.0/0' }, '2001:db8::1'],
    requestParameters: {
      ipPermissions: { items: { fromPort: [{ numeric: ['>=', 0, '<', 1024] }, { numeric: ['=', 3389] }, 22] } },
      size: [
        { numeric: ['<', 5e9] },
        { numeric: ['<=', -0.5] },
        { numeric: ['>', 1.000001] },
        { numeric: ['>', 0, '<=', 5] },
      ],
    },
    $or: [
      { userIdentity: { type: ['Root'] } },
      { userIdentity: { type: ['IAMUser'], $or: [{ a: ['1'] }, { b: ['2'] }] } },
    ],
  },
};

describe('patternProblems', () => {
  it('finds nothing wrong with valid uses of every operator', () => {
    expect(patternProblems(EVERY_OPERATOR)).toEqual([]);
  });

  // Each case: a pattern EventBridge rejects, and the problem that must be reported for it (path first).
  it.each<[string, unknown, RegExp]>([
    [
      'a pattern that is a string',
      '{"source": ["aws.ec2"]}',
      /^\(pattern\): a pattern must be a JSON object, got the string/,
    ],
    [
      'a pattern that is an array',
      [{ source: ['aws.ec2'] }],
      /^\(pattern\): a pattern must be a JSON object, got an array/,
    ],
    ['a pattern that is null', null, /^\(pattern\): a pattern must be a JSON object, got null/],
    ['an empty pattern', {}, /^\(pattern\): empty object/],
    ['an empty nested object', { detail: {} }, /^detail: empty object/],
    [
      'a leaf that is a string',
      { source: 'aws.ec2' },
      /^source: must be an object or an array of values, got the string "aws.ec2" — write \["aws.ec2"\]/,
    ],
    [
      'a leaf that is a number',
      { detail: { port: 22 } },
      /^detail\.port: must be an object or an array of values, got number 22 — write \[22\]/,
    ],
    ['a leaf that is a boolean', { detail: { readOnly: false } }, /^detail\.readOnly: .* got boolean false/],
    [
      'a leaf that is null',
      { detail: { errorCode: null } },
      /^detail\.errorCode: must be an object or an array of values, got null$/,
    ],
    [
      'a leaf that is undefined',
      { detail: { errorCode: undefined } },
      /^detail\.errorCode: must be an object or an array of values, got undefined$/,
    ],
    ['an empty array', { detail: { eventName: [] } }, /^detail\.eventName: empty array/],
    [
      'a nested array',
      { source: [['aws.ec2']] },
      /^source\[0\]: a match value must be a string, number, boolean, null or an operator object/,
    ],
    ['a number that is not JSON', { detail: { port: [Number.NaN] } }, /^detail\.port\[0\]: NaN is not a JSON number/],
    ['a function as a value', { source: [() => 'aws.ec2'] }, /^source\[0\]: a match value .* got function/],
    [
      'an unknown operator',
      { source: [{ contains: 'ec2' }] },
      /^source\[0\]\.contains: unknown operator 'contains'; expected one of prefix, suffix/,
    ],
    [
      'an operator in the wrong case',
      { source: [{ Prefix: 'aws.' }] },
      /^source\[0\]\.Prefix: unknown operator 'Prefix' — operators are case-sensitive, write 'prefix'/,
    ],
    ['an empty operator object', { source: [{}] }, /^source\[0\]: empty operator object/],
    [
      'two operators in one object',
      { source: [{ prefix: 'aws.', suffix: '2' }] },
      /^source\[0\]: an operator object takes exactly one operator, got prefix, suffix/,
    ],
    [
      'a prefix that is a number',
      { source: [{ prefix: 1 }] },
      /^source\[0\]\.prefix: prefix takes a string or \{ "equals-ignore-case": "<string>" \}, got number 1/,
    ],
    ['a prefix that is a list', { source: [{ prefix: ['aws.'] }] }, /^source\[0\]\.prefix: prefix takes a string/],
    [
      'a prefix object with another key',
      { source: [{ prefix: { 'equals-ignore-case': 'a', x: 'b' } }] },
      /^source\[0\]\.prefix: prefix takes/,
    ],
    [
      'a prefix ignore-case that is not a string',
      { source: [{ prefix: { 'equals-ignore-case': 1 } }] },
      /^source\[0\]\.prefix: prefix takes/,
    ],
    ['a suffix that is a number', { source: [{ suffix: 2 }] }, /^source\[0\]\.suffix: suffix takes a string/],
    [
      'equals-ignore-case with a list',
      { source: [{ 'equals-ignore-case': ['aws.ec2'] }] },
      /^source\[0\]\.equals-ignore-case: equals-ignore-case takes a string, got an array/,
    ],
    [
      'a wildcard that is not a string',
      { source: [{ wildcard: 1 }] },
      /^source\[0\]\.wildcard: wildcard takes a string/,
    ],
    [
      'a wildcard with consecutive stars',
      { detail: { arn: [{ wildcard: 'arn:aws:iam::**:role/x' }] } },
      /^detail\.arn\[0\]\.wildcard: consecutive wildcard characters at position 14/,
    ],
    [
      'a wildcard with an unknown escape',
      { detail: { arn: [{ wildcard: 'a\\d' }] } },
      /^detail\.arn\[0\]\.wildcard: invalid escape at position 1; only \\\* .* and \\\\ are allowed/,
    ],
    [
      'a wildcard ending in a backslash',
      { detail: { arn: [{ wildcard: 'a\\' }] } },
      /^detail\.arn\[0\]\.wildcard: invalid escape at position 1/,
    ],
    [
      'exists with a string',
      { detail: { errorCode: [{ exists: 'false' }] } },
      /^detail\.errorCode\[0\]\.exists: exists takes true or false, got the string "false"/,
    ],
    [
      'anything-but null',
      { source: [{ 'anything-but': null }] },
      /^source\[0\]\.anything-but: anything-but takes a string, a number, a list or an object, got null/,
    ],
    [
      'anything-but with an empty list',
      { source: [{ 'anything-but': [] }] },
      /^source\[0\]\.anything-but: empty array/,
    ],
    [
      'anything-but with a mixed list',
      { source: [{ 'anything-but': ['a', 1] }] },
      /^source\[0\]\.anything-but: an anything-but list must hold only strings or only numbers/,
    ],
    [
      'anything-but with null in a list',
      { source: [{ 'anything-but': [null] }] },
      /^source\[0\]\.anything-but: an anything-but list must hold only strings/,
    ],
    [
      'anything-but with an unknown form',
      { source: [{ 'anything-but': { exists: true } }] },
      /^source\[0\]\.anything-but: anything-but takes .* got exists/,
    ],
    [
      'anything-but with an empty object',
      { source: [{ 'anything-but': {} }] },
      /^source\[0\]\.anything-but: .* got an empty object/,
    ],
    [
      'anything-but with two forms',
      { source: [{ 'anything-but': { prefix: 'a', suffix: 'b' } }] },
      /^source\[0\]\.anything-but: .* got prefix, suffix/,
    ],
    [
      'anything-but with an empty prefix',
      { source: [{ 'anything-but': { prefix: '' } }] },
      /^source\[0\]\.anything-but\.prefix: an empty prefix would exclude every string/,
    ],
    [
      'anything-but with an empty suffix in a list',
      { source: [{ 'anything-but': { suffix: ['x', ''] } }] },
      /^source\[0\]\.anything-but\.suffix: an empty suffix/,
    ],
    [
      'anything-but with a nested prefix ignore-case',
      { source: [{ 'anything-but': { prefix: { 'equals-ignore-case': 'a' } } }] },
      /^source\[0\]\.anything-but\.prefix: takes a string or a non-empty list of strings, got an object/,
    ],
    [
      'anything-but ignore-case with a number',
      { source: [{ 'anything-but': { 'equals-ignore-case': 123 } }] },
      /^source\[0\]\.anything-but\.equals-ignore-case: takes a string or a non-empty list of strings, got number 123/,
    ],
    [
      'anything-but with an empty wildcard list',
      { source: [{ 'anything-but': { wildcard: [] } }] },
      /^source\[0\]\.anything-but\.wildcard: takes a string or a non-empty list/,
    ],
    [
      'anything-but with a bad wildcard',
      { source: [{ 'anything-but': { wildcard: ['ok*', 'a**'] } }] },
      /^source\[0\]\.anything-but\.wildcard\[1\]: consecutive wildcard characters/,
    ],
    [
      'anything-but with a number EventBridge cannot compare',
      { port: [{ 'anything-but': [1, 6e9] }] },
      /^port\[0\]\.anything-but\[1\]: 6000000000 is outside the range/,
    ],
    [
      'anything-but with a single number EventBridge cannot compare',
      { port: [{ 'anything-but': 6e9 }] },
      /^port\[0\]\.anything-but: 6000000000 is outside the range/,
    ],
    [
      'numeric that is not an array',
      { port: [{ numeric: '>0' }] },
      /^port\[0\]\.numeric: numeric takes a non-empty array; write \["=", n\]/,
    ],
    [
      'numeric with an empty array',
      { port: [{ numeric: [] }] },
      /^port\[0\]\.numeric: numeric takes a non-empty array/,
    ],
    [
      'numeric with an unknown operator',
      { port: [{ numeric: ['==', 22] }] },
      /^port\[0\]\.numeric\[0\]: unknown numeric operator "=="/,
    ],
    [
      'numeric without a number',
      { port: [{ numeric: ['>'] }] },
      /^port\[0\]\.numeric\[1\]: the value after ">" must be a number, got undefined/,
    ],
    [
      'numeric with a numeric string',
      { port: [{ numeric: ['>', '22'] }] },
      /^port\[0\]\.numeric\[1\]: the value after ">" must be a number, got the string "22"/,
    ],
    [
      'numeric with the upper bound first',
      { port: [{ numeric: ['<', 1024, '>', 0] }] },
      /^port\[0\]\.numeric: too many elements after "<" \(a range starts with its lower bound\)/,
    ],
    [
      'numeric "=" with two values',
      { port: [{ numeric: ['=', 1, 2] }] },
      /^port\[0\]\.numeric: too many elements after "="; write/,
    ],
    [
      'numeric with three elements',
      { port: [{ numeric: ['>', 0, '<'] }] },
      /^port\[0\]\.numeric: a range has 4 elements/,
    ],
    [
      'numeric with two lower bounds',
      { port: [{ numeric: ['>', 0, '>', 5] }] },
      /^port\[0\]\.numeric\[2\]: a range's upper bound must use "<" or "<=", got ">"/,
    ],
    [
      'numeric with a non-numeric upper bound',
      { port: [{ numeric: ['>', 0, '<', '5'] }] },
      /^port\[0\]\.numeric\[3\]: the value after "<" must be a number/,
    ],
    [
      'numeric with an inverted range',
      { port: [{ numeric: ['>=', 10, '<=', 5] }] },
      /^port\[0\]\.numeric: the range >= 10 and <= 5 contains no number/,
    ],
    [
      'numeric with an open empty range',
      { port: [{ numeric: ['>', 5, '<=', 5] }] },
      /^port\[0\]\.numeric: the range > 5 and <= 5 contains no number/,
    ],
    [
      'numeric with a range open at its top',
      { port: [{ numeric: ['>=', 5, '<', 5] }] },
      /^port\[0\]\.numeric: the range >= 5 and < 5 contains no number/,
    ],
    [
      'numeric beyond ±5e9',
      { bytes: [{ numeric: ['>', -6e9] }] },
      /^bytes\[0\]\.numeric\[1\]: -6000000000 is outside the range EventBridge compares numerically/,
    ],
    [
      'numeric with 7 decimals',
      { ratio: [{ numeric: ['<', 0.1234567] }] },
      /^ratio\[0\]\.numeric\[1\]: 0\.1234567 has more than 6 decimal places/,
    ],
    [
      'numeric with Infinity',
      { ratio: [{ numeric: ['<', Number.POSITIVE_INFINITY] }] },
      /^ratio\[0\]\.numeric\[1\]: Infinity is outside the range/,
    ],
    [
      'cidr that is not a string',
      { ip: [{ cidr: ['10.0.0.0/8'] }] },
      /^ip\[0\]\.cidr: cidr takes a string such as "10\.0\.0\.0\/24", got an array/,
    ],
    [
      'cidr without a mask',
      { ip: [{ cidr: '10.0.0.0' }] },
      /^ip\[0\]\.cidr: malformed CIDR "10\.0\.0\.0", one '\/' required/,
    ],
    [
      'cidr with an empty mask',
      { ip: [{ cidr: '10.0.0.0/' }] },
      /^ip\[0\]\.cidr: malformed CIDR "10\.0\.0\.0\/", one '\/' required/,
    ],
    [
      'cidr with two slashes',
      { ip: [{ cidr: '10.0.0.0/8/8' }] },
      /^ip\[0\]\.cidr: malformed CIDR .* one '\/' required/,
    ],
    [
      'cidr with a non-integer mask',
      { ip: [{ cidr: '10.0.0.0/x' }] },
      /^ip\[0\]\.cidr: malformed CIDR "10\.0\.0\.0\/x", mask bits must be an integer/,
    ],
    [
      'cidr with a negative mask',
      { ip: [{ cidr: '10.0.0.0/-1' }] },
      /^ip\[0\]\.cidr: IPv4 mask bits must be 0–31, got -1/,
    ],
    [
      'cidr with an IPv4 /32',
      { ip: [{ cidr: '10.0.0.1/32' }] },
      /^ip\[0\]\.cidr: IPv4 mask bits must be 0–31, got 32 — match a single address with the plain string \["10\.0\.0\.1"\]/,
    ],
    [
      'cidr with an IPv6 /128',
      { ip: [{ cidr: '2001:db8::1/128' }] },
      /^ip\[0\]\.cidr: IPv6 mask bits must be 0–127, got 128/,
    ],
    [
      'cidr with an invalid address',
      { ip: [{ cidr: 'xx.11.xx/24' }] },
      /^ip\[0\]\.cidr: "xx\.11\.xx" is not an IPv4 or IPv6 address/,
    ],
    [
      'cidr with an octet above 255',
      { ip: [{ cidr: '10.0.0.256/24' }] },
      /^ip\[0\]\.cidr: "10\.0\.0\.256" is not an IPv4/,
    ],
    [
      'cidr with an invalid IPv6 address',
      { ip: [{ cidr: 'xxxx:db8:1234:1a00::/64' }] },
      /^ip\[0\]\.cidr: "xxxx:db8:1234:1a00::" is not an IPv4 or IPv6 address/,
    ],
    ['cidr with two "::"', { ip: [{ cidr: '2001::db8::/64' }] }, /^ip\[0\]\.cidr: "2001::db8::" is not/],
    [
      'cidr with too many IPv6 groups',
      { ip: [{ cidr: '1:2:3:4:5:6:7:8:9/64' }] },
      /^ip\[0\]\.cidr: "1:2:3:4:5:6:7:8:9" is not/,
    ],
    ['cidr with an IPv6 group too long', { ip: [{ cidr: '12345::/64' }] }, /^ip\[0\]\.cidr: "12345::" is not/],
    [
      'cidr with "::" and 8 groups',
      { ip: [{ cidr: '1:2:3:4::5:6:7:8/64' }] },
      /^ip\[0\]\.cidr: "1:2:3:4::5:6:7:8" is not/,
    ],
    [
      '$or that is an object',
      { $or: { source: ['aws.ec2'] } },
      /^\$or: \$or needs an array of at least two objects \(sub-patterns\), got an object/,
    ],
    [
      '$or with one branch',
      { $or: [{ source: ['aws.ec2'] }] },
      /^\$or: \$or needs an array of at least two objects \(sub-patterns\), got 1 element\(s\)/,
    ],
    [
      '$or with values instead of objects',
      { detail: { $or: ['a', { b: ['c'] }] } },
      /^detail\.\$or\[0\]: each \$or element must be an object \(a sub-pattern\), got the string "a"/,
    ],
    ['$or with an empty branch', { $or: [{}, { source: ['aws.ec2'] }] }, /^\$or\[0\]: empty object/],
    [
      'an operator used as a field inside $or',
      { $or: [{ prefix: ['aws.'] }, { source: ['aws.ec2'] }] },
      /^\$or\[0\]\.prefix: 'prefix' is a reserved word/,
    ],
    [
      'a reserved word deeper inside $or',
      { $or: [{ detail: { numeric: ['1'] } }, { source: ['x'] }] },
      /^\$or\[0\]\.detail\.numeric: 'numeric' is a reserved word/,
    ],
    [
      '$or inside a list of values',
      { source: [{ $or: ['aws.ec2', 'aws.iam'] }] },
      /^source\[0\]\.\$or: unknown operator '\$or'/,
    ],
    [
      'a problem inside a nested $or',
      { $or: [{ a: ['1'] }, { $or: [{ b: [] }, { c: ['3'] }] }] },
      /^\$or\[1\]\.\$or\[0\]\.b: empty array/,
    ],
  ])('reports %s', (_case, pattern, expected) => {
    expect(patternProblems(pattern)).toContainEqual(expect.stringMatching(expected));
  });

  it('reports a pattern longer than EventBridge allows', () => {
    const names = Array.from({ length: 120 }, (_, i) => `DescribeSomethingRatherLong${i}`);
    const pattern = { source: ['aws.ec2'], detail: { eventName: names } };

    expect(JSON.stringify(pattern).length).toBeGreaterThan(MAX_PATTERN_LENGTH);
    expect(patternProblems(pattern)).toEqual([
      expect.stringMatching(/^\(pattern\): \d+ characters when serialised; EventBridge allows 2048 — split it/),
    ]);
    expect(patternProblems({ source: ['aws.ec2'], detail: { eventName: names.slice(0, 10) } })).toEqual([]);
  });

  it('reports a pattern that contains itself instead of recursing forever', () => {
    const pattern: Record<string, unknown> = { source: ['aws.ec2'] };
    pattern.detail = { again: pattern };

    expect(patternProblems(pattern)).toEqual([expect.stringMatching(/^detail\.again: the pattern refers to itself/)]);
  });

  it('reports a CIDR with host bits set, which silently narrows the block', () => {
    expect(patternProblems({ ip: [{ cidr: '10.1.2.3/16' }] })).toEqual([
      expect.stringMatching(
        /^ip\[0\]\.cidr: 10\.1\.2\.3\/16 has host bits set; EventBridge then matches only 10\.1\.2\.3 upward/,
      ),
    ]);
    expect(patternProblems({ ip: [{ cidr: '2001:db8::1/64' }] })).toEqual([expect.stringMatching(/has host bits set/)]);
    expect(patternProblems({ ip: [{ cidr: '10.1.0.0/16' }, { cidr: '2001:db8::/64' }] })).toEqual([]);
  });

  it('reports keys containing a dot, which EventBridge joins with nested keys', () => {
    expect(patternProblems({ detail: { 'state.status': ['running'] } })).toEqual([
      expect.stringMatching(/^detail\["state\.status"\]: EventBridge joins nested keys with '\.'/),
    ]);
  });

  it('reports every problem, each with its own path', () => {
    const problems = patternProblems({ source: 'aws.ec2', detail: { eventName: [], port: [{ numeric: ['>', 'x'] }] } });

    expect(problems).toEqual([
      expect.stringMatching(/^source: /),
      expect.stringMatching(/^detail\.eventName: /),
      expect.stringMatching(/^detail\.port\[0\]\.numeric\[1\]: /),
    ]);
  });

  it('agrees with compilePattern: every rejected pattern also fails to compile', () => {
    const invalid = [
      { source: [] },
      { source: [{ numeric: ['<', 5, '>', 0] }] },
      { $or: [{ source: ['x'] }] },
      { ip: [{ cidr: '10.0.0.1/32' }] },
    ];
    for (const pattern of invalid) {
      expect(patternProblems(pattern)).not.toEqual([]);
      expect(() => compilePattern(pattern as EventPattern)).toThrow(InvalidPatternError);
    }
    expect(() => compilePattern(EVERY_OPERATOR)).not.toThrow();
  });
});

describe('assertValidPattern', () => {
  it('accepts a valid pattern', () => {
    expect(() => assertValidPattern(EVERY_OPERATOR, "detection 'every-operator'")).not.toThrow();
  });

  it('fails when anything is wrong, naming the caller and listing every problem', () => {
    const call = () => assertValidPattern({ source: [], detail: { ip: [{ cidr: '10.0.0.9/24' }] } }, "detection 'bad'");

    expect(call).toThrow(InvalidPatternError);
    expect(call).toThrow(
      /^detection 'bad': not a valid EventBridge event pattern \(2 problem\(s\)\):\n {2}- source: empty array/,
    );
    expect(call).toThrow(/\n {2}- detail\.ip\[0\]\.cidr: 10\.0\.0\.9\/24 has host bits set/);
  });
});
