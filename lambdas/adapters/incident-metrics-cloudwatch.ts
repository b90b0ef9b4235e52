/** Incident response times as CloudWatch metrics (`<namespace>` / TimeToDetect etc., milliseconds). */
import { type CloudWatchClient, PutMetricDataCommand, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import { type IncidentMetricName, type IncidentMetricsSink, incidentTimings } from '../core/incidents/metrics';
import type { Incident } from '../core/incidents/types';

/** Publishes with dimensions Severity (and the same without dimensions, for fleet-wide means). */
export class CloudWatchIncidentMetrics implements IncidentMetricsSink {
  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly namespace: string,
  ) {}

  /** {@inheritDoc IncidentMetricsSink.publish} */
  async publish(incident: Incident, which: readonly IncidentMetricName[]): Promise<void> {
    const t = incidentTimings(incident);
    const values: Record<IncidentMetricName, number | undefined> = {
      TimeToDetect: t.timeToDetectMs,
      TimeToAcknowledge: t.timeToAcknowledgeMs,
      TimeToResolve: t.timeToResolveMs,
    };
    const unit: StandardUnit = 'Milliseconds';
    const data = which.flatMap((name) => {
      const value = values[name];
      if (value === undefined) return [];
      return [
        { MetricName: name, Value: value, Unit: unit, Dimensions: [{ Name: 'Severity', Value: incident.severity }] },
        { MetricName: name, Value: value, Unit: unit },
      ];
    });
    if (data.length === 0) return;
    await this.cloudwatch.send(new PutMetricDataCommand({ Namespace: this.namespace, MetricData: data }));
  }
}
