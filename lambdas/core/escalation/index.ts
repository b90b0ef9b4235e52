/** The escalation core: ladder decisions, page texts and acknowledgement tokens. */
export * from './ack-token';
export * from './errors';
export * from './ladder';
export * from './texts';
