/** Options several commands share. */

/** Options shared by every command that talks to a pipeline. */
export interface TargetCliOptions {
  local?: boolean;
  region?: string;
  profile?: string;
  stateFile?: string;
  kinesisEndpoint?: string;
  dynamodbEndpoint?: string;
  config: string;
}
