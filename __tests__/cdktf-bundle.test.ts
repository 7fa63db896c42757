/**
 * Jest loads cdktf, and the AWS provider classes vigil uses, as one pre-built file each (__tests__/cdktf-bundle.js,
 * mapped in jest.config.js). The bundles must behave as the packages do: the private modules
 * framework/synth-performance.ts patches must be the ones cdktf's own code calls, `Construct` must be the one of
 * `constructs` that vigil's constructs extend, and a provider class must synthesize what the package's own does.
 */
import { dirname, join, sep } from 'node:path';

const { bundleDir, INTERNALS, providerLibs } = require('./cdktf-bundle') as {
  bundleDir(): string;
  INTERNALS: readonly string[];
  providerLibs(): readonly string[];
};
/** The provider package's own directory (an absolute path, which the mapping leaves alone). */
const PROVIDER = dirname(require.resolve('@cdktf/provider-aws/package.json'));

/** The `cdktf` package as jest loads it: what this file tests, so not through framework/cdktf.ts. */
function loadCdktf(): typeof import('cdktf') {
  // biome-ignore lint/style/noRestrictedImports: the subject of this file is how jest loads the package itself
  return require('cdktf');
}

/** Runs `body` in a fresh module registry, as a test file that loads cdktf first does. */
function inFreshRegistry<T>(body: () => T): T {
  let out: { value: T } | undefined;
  jest.isolateModules(() => {
    out = { value: body() };
  });
  return out!.value;
}

describe('the cdktf bundle', () => {
  it('is what `cdktf` and its private modules resolve to, unless VIGIL_JEST_CDKTF_BUNDLE=off', () => {
    const bundled = process.env['VIGIL_JEST_CDKTF_BUNDLE'] !== 'off';
    const dir = bundleDir();
    const ids = ['cdktf', ...INTERNALS.map((path) => `cdktf/${path}`)];

    expect(ids.map((id) => require.resolve(id).startsWith(dir + sep))).toEqual(ids.map(() => bundled));
    inFreshRegistry(() => {
      const bundle = require(join(dir, 'bundle.js')) as { cdktf: unknown; internals: Record<string, unknown> };
      expect(loadCdktf() === bundle.cdktf).toBe(bundled);
      expect(INTERNALS.map((path) => require(`cdktf/${path}`) === bundle.internals[path])).toEqual(
        INTERNALS.map(() => bundled),
      );
    });
  });

  it('lets a patch of the token stack-trace module reach the tokens cdktf creates', () => {
    const creationStack = inFreshRegistry(() => {
      const trace = require('cdktf/lib/tokens/private/stack-trace') as { captureStackTrace(): string[] };
      jest.spyOn(trace, 'captureStackTrace').mockReturnValue(['patched']);
      const { Lazy, Tokenization } = loadCdktf();
      const token: string = Lazy.stringValue({ produce: () => 'value' });
      return (Tokenization.reverseString(token).firstToken as { creationStack: string[] }).creationStack;
    });

    expect(creationStack).toEqual(['patched']);
  });

  it("lets a patch of the binary-version check reach the validations cdktf's constructs add", () => {
    const { binary, terraform } = inFreshRegistry(() => {
      type Check = { prototype: { validate(): string[] } };
      const { ValidateBinaryVersion } = require('cdktf/lib/validations/validate-binary-version') as {
        ValidateBinaryVersion: Check;
      };
      const { ValidateTerraformVersion } = require('cdktf/lib/validations/validate-terraform-version') as {
        ValidateTerraformVersion: Check;
      };
      const binary = jest.spyOn(ValidateBinaryVersion.prototype, 'validate').mockReturnValue(['binary']);
      const terraform = jest.spyOn(ValidateTerraformVersion.prototype, 'validate');
      const { CloudBackend, NamedCloudWorkspace, TerraformStack, Testing } = loadCdktf();
      const stack = new TerraformStack(Testing.app(), 'stack');
      const backend = new CloudBackend(stack, {
        organization: 'org',
        workspaces: new NamedCloudWorkspace('workspace'),
      });
      expect(backend.node.validate()).toEqual(['binary']);
      return { binary: binary.mock.calls.length, terraform: terraform.mock.calls.length };
    });

    expect({ binary, terraform }).toEqual({ binary: 1, terraform: 1 });
  });

  it('extends the `Construct` of `constructs`, the one vigil constructs extend', () => {
    const { Construct } = require('constructs');
    const { TerraformStack, Testing } = loadCdktf();

    expect(Object.getPrototypeOf(TerraformStack)).toBe(Construct);
    expect(new TerraformStack(Testing.app(), 'stack')).toBeInstanceOf(Construct);
  });
});

describe('the provider bundle', () => {
  const bundled = process.env['VIGIL_JEST_CDKTF_BUNDLE'] !== 'off';

  it('holds every provider class framework/aws.ts names, and is what they resolve to', () => {
    const libs = providerLibs();
    expect(libs).toEqual(
      expect.arrayContaining(['lib/provider', 'lib/s3-bucket', 'lib/kinesis-firehose-delivery-stream']),
    );
    expect(libs.length).toBeGreaterThan(40);
    const dir = bundleDir();
    expect(libs.map((lib) => require.resolve(`@cdktf/provider-aws/${lib}`).startsWith(dir + sep))).toEqual(
      libs.map(() => bundled),
    );
    // A path framework/aws.ts does not name loads from the package.
    expect(require.resolve('@cdktf/provider-aws/lib/ec2-host').startsWith(PROVIDER + sep)).toBe(true);

    const aws = require('../framework/aws') as Record<string, unknown>;
    const bucket = require('@cdktf/provider-aws/lib/s3-bucket') as Record<string, unknown>;
    expect(aws['S3Bucket']).toBe(bucket['S3Bucket']);
  });

  it("synthesizes a resource exactly as the package's own class does", () => {
    // The largest class vigil uses, with nested blocks and lists, built once through the mapping and once from the
    // package's file.
    const lib = 'lib/kinesis-firehose-delivery-stream';
    const synth = (module: {
      KinesisFirehoseDeliveryStream: new (scope: unknown, id: string, config: unknown) => unknown;
    }) => {
      const { TerraformStack, Testing } = loadCdktf();
      const stack = new TerraformStack(Testing.app(), 'stack');
      new module.KinesisFirehoseDeliveryStream(stack, 'stream', {
        name: 'findings',
        destination: 'extended_s3',
        extendedS3Configuration: {
          bucketArn: 'arn:aws:s3:::lake',
          roleArn: 'arn:aws:iam::111111111111:role/firehose',
          bufferingInterval: 60,
          processingConfiguration: {
            enabled: true,
            processors: [
              {
                type: 'MetadataExtraction',
                parameters: [{ parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' }],
              },
            ],
          },
          dynamicPartitioningConfiguration: { enabled: true },
        },
        serverSideEncryption: {
          enabled: true,
          keyType: 'CUSTOMER_MANAGED_CMK',
          keyArn: 'arn:aws:kms:eu-west-1:111111111111:key/k',
        },
      });
      return Testing.synth(stack);
    };
    const mapped = require(`@cdktf/provider-aws/${lib}`);
    const own = require(join(PROVIDER, lib, 'index.js'));

    expect(mapped === own).toBe(!bundled);
    expect(JSON.parse(synth(mapped))).toEqual(JSON.parse(synth(own)));
    expect(synth(mapped)).toContain('"parameter_value": "JQ-1.6"');
  });
});
