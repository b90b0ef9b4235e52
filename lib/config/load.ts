import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, type PipelineConfig, parseConfig } from '../../lambdas/core/config/schema';

/** The configuration file used when none is named (`cdk synth -c config=PATH` or `--config PATH` choose another). */
export const DEFAULT_CONFIG_PATH = 'config/pipeline.json';

/**
 * Reads and validates a configuration file.
 * @throws ConfigError when the file is missing, is not JSON, or breaks a rule (each key and rule named)
 */
export function loadConfigFile(path: string = DEFAULT_CONFIG_PATH): PipelineConfig {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    throw new ConfigError(absolute, [
      { key: '', rule: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})` },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(absolute, [{ key: '', rule: `is not valid JSON: ${(err as Error).message}` }]);
  }
  return parseConfig(parsed, absolute);
}
