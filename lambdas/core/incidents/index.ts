/** The incidents core: model, decisions on alarm transitions, response times, store port. */
export * from './alarm-event';
export * from './decisions';
export * from './errors';
export * from './grouping';
export * from './metrics';
export * from './route-alarm';
export * from './store';
export * from './types';
