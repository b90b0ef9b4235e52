/** Scheduled reports: data collection through ports, the model, and rendering (HTML, text, charts, CSV). */
export * from './channels';
export * from './charts';
export * from './collect';
export * from './csv';
export * from './experiments';
export * from './forecast';
export * from './html';
export * from './model';
export * from './period';
export * from './render';
export * from './story';
export * from './text';
export * from './types';
