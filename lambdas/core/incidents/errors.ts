/** Base class of the incidents core's errors. */
export class IncidentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncidentError';
  }
}

/** An alarm state-change event that cannot be read; the message names the missing or bad field. */
export class InvalidAlarmEventError extends IncidentError {
  constructor(reason: string) {
    super(`Not a CloudWatch "Alarm State Change" event this router can handle: ${reason}`);
    this.name = 'InvalidAlarmEventError';
  }
}

/** No incident with this id. */
export class IncidentNotFoundError extends IncidentError {
  constructor(readonly incidentId: string) {
    super(
      `Incident ${incidentId} does not exist (check the id: it is in the page, the incident e-mail and incidents.json of kpi local --export-dir).`,
    );
    this.name = 'IncidentNotFoundError';
  }
}

/** An action the incident's state does not allow, e.g. acknowledging a resolved incident. */
export class IncidentStateError extends IncidentError {
  constructor(
    readonly incidentId: string,
    readonly state: string,
    action: string,
  ) {
    super(`Incident ${incidentId} is ${state}; it cannot be ${action}.`);
    this.name = 'IncidentStateError';
  }
}
