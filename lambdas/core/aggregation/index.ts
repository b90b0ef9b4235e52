/** Aggregation of Kinesis batches into KPI items, exactly once (see aggregate-batch.ts). */
export { AggregateBatch, type AggregateBatchProps, type BatchReport } from './aggregate-batch';
export {
  BatchFold,
  type ClassifiedRecord,
  classifyRecords,
  type DecodeLimits,
  type ItemDelta,
  type RecordOutcome,
  type StreamRecord,
  type Watermarks,
} from './fold';
export * from './keys';
export * from './ports';
export {
  LATE_REROLL_AFTER_MS,
  MAX_INVOCATION_MS,
  PeriodRollups,
  ROLLUP_DELAY_MS,
  type RollupOutcome,
} from './rollups';
export * from './sequence';
