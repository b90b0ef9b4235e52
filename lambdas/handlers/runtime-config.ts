import { type PipelineConfig, parseConfig } from '../core/config/schema';

/**
 * The resolved pipeline configuration, embedded into each Lambda bundle at synth time by esbuild's
 * `define` (see lib/constructs/pipeline-function.ts). Embedding keeps it out of environment
 * variables (4 KB limit, visible in the console) and makes the code and its configuration one
 * immutable artifact. It holds no secrets: only the names of the parameters and secrets that do.
 */
declare const __PIPELINE_CONFIG__: string | undefined;

let cached: PipelineConfig | undefined;

/** Thrown when a bundle was built without its configuration. */
export class MissingRuntimeConfigError extends Error {
  constructor() {
    super('This function was bundled without __PIPELINE_CONFIG__; deploy it through the CDK app (lib/) so it is set.');
    this.name = 'MissingRuntimeConfigError';
  }
}

/** Loads (once) and validates the configuration embedded in this bundle. */
export function loadRuntimeConfig(): PipelineConfig {
  if (cached === undefined) {
    if (typeof __PIPELINE_CONFIG__ === 'undefined' || __PIPELINE_CONFIG__ === undefined) {
      throw new MissingRuntimeConfigError();
    }
    cached = parseConfig(JSON.parse(__PIPELINE_CONFIG__), 'embedded configuration');
  }
  return cached;
}
