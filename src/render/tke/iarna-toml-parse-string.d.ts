// The package's string parser alone. Its main entry also loads a stream parser
// that needs Node's `stream` module, which a Temporal workflow cannot import.
declare module '@iarna/toml/parse-string' {
  import type { JsonMap } from '@iarna/toml';

  function parseString(toml: string): JsonMap;
  export = parseString;
}
