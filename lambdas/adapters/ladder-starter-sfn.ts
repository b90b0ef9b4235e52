/**
 * Starts escalation ladders. The execution name is the run's name (the incident id, or the id
 * with the raised severity or quiet instant), so Step Functions refuses a second execution for
 * the same run: a duplicate or retried alarm event cannot start a second ladder.
 */
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { LadderInput, LadderRun, LadderStarter } from '../core/escalation/ladder';

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
  async start(incidentId: string, run: LadderRun): Promise<string> {
    const input: LadderInput = { incidentId, level: 1, severity: run.severity };
    const executionName = run.name;
    try {
      const out = await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: executionName,
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
