/**
 * Synthesizes the escalation ladder in a stack of its own and takes the state machine definition
 * out of the template, resolving the `Fn::Join` / `Fn::GetAtt` / `Ref` CloudFormation puts in
 * `DefinitionString`, exactly as `cdk deploy` would hand it to Step Functions.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { PipelineConfig } from '../../lambdas/core/config/schema';
import { EscalationLadder } from '../../lib/constructs/escalation';

/** A synthesized ladder: its template and its state machine definition with tokens resolved. */
export interface SynthesizedLadder {
  readonly template: Template;
  readonly definition: Record<string, unknown>;
  readonly stack: Stack;
}

/** Resolves the intrinsic functions that can appear in a definition string to fixed test values. */
function resolveIntrinsic(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    if ('Fn::GetAtt' in v) {
      const [logicalId] = v['Fn::GetAtt'] as [string, string];
      return `arn:aws:lambda:us-east-1:123456789012:function:${logicalId}`;
    }
    if ('Ref' in v) {
      const ref = v.Ref as string;
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::Region') return 'us-east-1';
      if (ref === 'AWS::AccountId') return '123456789012';
      return ref;
    }
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(resolveIntrinsic).join(sep);
    }
  }
  throw new Error(`Unexpected intrinsic in DefinitionString: ${JSON.stringify(value)}`);
}

/**
 * Synthesizes an {@link EscalationLadder} for a configuration (bundling skipped).
 * @param prepare called on the stack before synthesis, e.g. to add cdk-nag checks
 */
export function synthesizeLadder(config: PipelineConfig, prepare?: (stack: Stack) => void): SynthesizedLadder {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'LadderUnderTest', { env: { account: '123456789012', region: 'us-east-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const table = new dynamodb.Table(stack, 'Incidents', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
  });
  new EscalationLadder(stack, 'Escalation', { config, incidentsTable: table, encryptionKey: key });
  prepare?.(stack);
  const template = Template.fromStack(stack);
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const props = (machines[0] as { Properties: { DefinitionString: unknown } }).Properties;
  const definition = JSON.parse(resolveIntrinsic(props.DefinitionString)) as Record<string, unknown>;
  return { template, definition, stack };
}
