/**
 * Replay's input reading is the shared CLI input reader (scripts/cli/inputs.ts); these names stay for the code and
 * tests that import them from here.
 */
export {
  INPUT_EXTENSIONS,
  type InputFile,
  type InputListing,
  listInputs,
  type ReadItem,
  type ReadOptions,
  readFiles,
} from '../cli/inputs';
