/**
 * The CDK for Terraform framework as vigil uses it: the only module that names the `cdktf` package (with
 * framework/synth-performance.ts, which patches its internals and is applied below). cdktf was archived upstream
 * in December 2025; CDK Terrain (`cdktn`) is the community fork with the same API: switching means changing this
 * import (and framework/aws.ts, framework/synth-performance.ts), then checking the synth speed patch
 * (__tests__/framework.test.ts proves it works).
 */
import { disableTokenStackTraces, memoizeBinaryVersionChecks } from './synth-performance';

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

// Every app and stack built through this module synthesizes with vigil's speed patches (framework/synth-performance.ts):
// main.ts, the scripts and the stacks tests build alike, and only code that loads the framework pays for loading it.
// `VIGIL_TOKEN_STACK_TRACES=1` keeps cdktf's per-token stack traces for debugging a token error.
disableTokenStackTraces();
memoizeBinaryVersionChecks();
