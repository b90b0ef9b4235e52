#!/usr/bin/env node
/**
 * The CDK app: `cdk synth|deploy [-c config=PATH]`. The configuration is validated before any
 * stack is built, so a wrong file stops synth with the key and the rule it breaks (exit code 2).
 */
import { App } from 'aws-cdk-lib';
import { assertDeliverableAddresses } from '../lambdas/core/config/example-addresses';
import { ConfigurationError } from '../lambdas/core/configuration-error';
import { buildApp } from '../lib/app';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../lib/config/load';

// Strong cross-stack references: CloudFormation refuses to remove a data-stack export still in use.
// Stated here (cdk.json or -c may override it) so the choice is explicit rather than a default.
const app = new App({ context: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' } });
const configPath: unknown = app.node.tryGetContext('config');
try {
  const path = typeof configPath === 'string' && configPath !== '' ? configPath : DEFAULT_CONFIG_PATH;
  const config = loadConfigFile(path);
  // A deploy that pages and mails no one must be a choice, not the silent default.
  const allowExample = String(app.node.tryGetContext('allowExampleAddresses')) === 'true';
  assertDeliverableAddresses(config, path, allowExample);
  buildApp(app, config, {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  app.synth();
} catch (err) {
  if (!(err instanceof ConfigurationError)) throw err;
  // Every configuration error (schema, catalog, alarm rules) already names the key and the rule;
  // a stack trace would only bury it. Exit 2, as the `kpi` command does for the same error.
  console.error(err.message);
  process.exitCode = 2;
}
