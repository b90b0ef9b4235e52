/**
 * Starts escalation ladders. The execution name is the incident id (itself a hash of the alarm
 * episode), so Step Functions refuses a second execution for the same episode: a duplicate or
 * retried alarm event cannot start a second ladder.
 */
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { LadderStarter } from '../core/escalation/ladder';

/** The input every ladder execution starts with. */
export interface LadderInput {
  readonly incidentId: string;
  readonly level: 1;
}

/** {@link LadderStarter} on Step Functions. */
export class SfnLadderStarter implements LadderStarter {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  /** The ARN an execution of this machine with this name has. */
  executionArnOf(executionName: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
  }

  /** {@inheritDoc LadderStarter.start} */
  async start(incidentId: string, executionName = incidentId): Promise<string> {
    const input: LadderInput = { incidentId, level: 1 };
    try {
      const out = await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: incidentId,
          input: JSON.stringify(input),
        }),
      );
      return out.executionArn ?? this.executionArnOf(executionName);
    } catch (err) {
      if (err instanceof ExecutionAlreadyExists) return this.executionArnOf(executionName);
      throw err;
    }
  }
}
