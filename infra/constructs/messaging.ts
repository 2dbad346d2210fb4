import { Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pinpoint from 'aws-cdk-lib/aws-pinpoint';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import type { Observability } from './observability.ts';
import { DeadLetterQueue } from './queues.ts';

export interface MessagingProps {
  stage: string;
  /** Cohort's own bus, where delivery events (bounce, complaint, open, click) end up. */
  bus: events.IEventBus;
  observability: Observability;
}

/**
 * The sending side: an SES configuration set for email and an End User Messaging (Pinpoint) app for
 * push and SMS. Sender identities (domains) and push credentials are account set-up done by an admin,
 * not code: they need DNS records and secrets that do not belong in a template.
 */
export class Messaging extends Construct {
  readonly configurationSet: ses.ConfigurationSet;
  readonly app: pinpoint.CfnApp;

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id);
    const name = `cohort-${props.stage}`;

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: name,
      reputationMetrics: true,
      sendingEnabled: true,
      // Mail carries personal data: refuse to hand it to a receiving server over plain text.
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
      // The account-level suppression list protects sender reputation even if Cohort's own
      // suppression check has a gap.
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });

    // SES can publish events only to the account's default bus, so they land there first and a rule
    // forwards this configuration set's events (not another stage's in the same account) to Cohort's bus.
    const defaultBus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.configurationSet.addEventDestination('ToDefaultBus', {
      destination: ses.EventDestination.eventBus(defaultBus),
      events: [
        ses.EmailSendingEvent.SEND,
        ses.EmailSendingEvent.DELIVERY,
        ses.EmailSendingEvent.BOUNCE,
        ses.EmailSendingEvent.COMPLAINT,
        ses.EmailSendingEvent.REJECT,
        ses.EmailSendingEvent.RENDERING_FAILURE,
        ses.EmailSendingEvent.DELIVERY_DELAY,
        ses.EmailSendingEvent.OPEN,
        ses.EmailSendingEvent.CLICK,
        ses.EmailSendingEvent.SUBSCRIPTION,
      ],
    });
    const forwardFailures = new DeadLetterQueue(this, 'ForwardDeadLetter', {
      description: 'SES events that could not be forwarded to the Cohort bus',
      observability: props.observability,
    });
    new events.Rule(this, 'ForwardEmailEvents', {
      eventBus: defaultBus,
      description: `Forwards SES events of configuration set ${name} to the Cohort bus`,
      eventPattern: {
        source: ['aws.ses'],
        detail: { mail: { tags: { 'ses:configuration-set': [name] } } },
      },
      targets: [new targets.EventBus(props.bus, { deadLetterQueue: forwardFailures.queue })],
    });

    this.app = new pinpoint.CfnApp(this, 'App', { name });
    // SMS needs no credentials on the app; origination numbers are registered in End User Messaging SMS.
    const sms = new pinpoint.CfnSMSChannel(this, 'SmsChannel', {
      applicationId: this.app.ref,
      enabled: true,
    });
    for (const resource of [this.app, sms]) {
      Validations.of(resource).acknowledge({
        id: 'CloudFormation-Validate::W3696',
        reason:
          "Pinpoint's engagement features end on 2026-10-30; its sending APIs (SendMessages, with the app and channels they need) continue as AWS End User Messaging, which is all Cohort uses.",
      });
    }
  }

  /** Email through SES, only under this stage's configuration set and from verified identities. */
  grantSendEmail(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['ses:SendEmail', 'ses:SendRawEmail'],
      resourceArns: [
        stack.formatArn({
          service: 'ses',
          resource: 'configuration-set',
          resourceName: this.configurationSet.configurationSetName,
        }),
        // Identities are verified by an admin outside the stack, so their names are not known here.
        stack.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' }),
      ],
    });
  }

  /** Push and SMS through End User Messaging's SendMessages, on this stage's app only. */
  grantSendMessages(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['mobiletargeting:SendMessages'],
      resourceArns: [`${this.app.attrArn}/messages`],
    });
  }
}
