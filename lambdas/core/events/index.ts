/** The event contract and its decoder. */
export * from './contract';
export * from './decode';
export { parseRfc3339 } from './rfc3339';
