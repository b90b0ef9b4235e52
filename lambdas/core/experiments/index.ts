/** Experiments: per-variant KPIs, lift with confidence intervals and significance tests (pure). */
export * from './sketch-bins';
export * from './statistics';
