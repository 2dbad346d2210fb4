import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

export interface BusProps {
  stage: string;
}

/** Source of every event Cohort publishes; bus rules match on it. */
export const busSource = 'cohort';

/**
 * The custom event bus that carries Cohort's domain events (see busDetailTypes in the manifest).
 *
 * No archive: events carry customer data, and an archive would keep it beyond an erasure, which has to
 * reach every copy. Replays come from the table, which erasure does clean.
 */
export class Bus extends Construct {
  readonly bus: events.EventBus;

  constructor(scope: Construct, id: string, props: BusProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: `cohort-${props.stage}`,
      description: `Cohort ${props.stage} domain events`,
    });
  }
}
