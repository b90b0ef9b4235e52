/** Experiments: per-variant KPIs, lift with confidence intervals and significance tests (pure). */
export * from './analyze';
export * from './config';
export * from './mann-whitney';
export * from './metrics';
export * from './read';
export * from './routing';
export * from './samples';
export * from './sketch-bins';
export * from './statistics';
export * from './table';
