/** The client health score: computation (pure) and the storage port. */
export { bandOf, computeHealthScore, type HealthScoreInput, type HealthScoreSettings } from './score';
export { type HealthStore, InMemoryHealthStore } from './store';
export * from './types';
