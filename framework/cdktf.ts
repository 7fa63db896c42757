/**
 * The CDK for Terraform framework as vigil uses it: the only module that names the `cdktf` package (with
 * build/synth-performance.ts, which patches its internals). cdktf was archived upstream in December 2025;
 * CDK Terrain (`cdktn`) is the community fork with the same API: switching means changing this import
 * (and framework/aws.ts), then checking the synth speed patch (__tests__/framework.test.ts proves it works).
 */
export {
  App,
  AssetType,
  CloudBackend,
  Fn,
  Lazy,
  LocalBackend,
  NamedCloudWorkspace,
  S3Backend,
  TerraformAsset,
  TerraformIterator,
  TerraformLocal,
  TerraformOutput,
  type TerraformProvider,
  TerraformResource,
  TerraformStack,
  TerraformVariable,
  Testing,
  Token,
  Tokenization,
} from 'cdktf';
