import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Trigger } from '../../functions/manifest.ts';
import type { StageSettings } from '../stages.ts';
import { defaultLogGroupProps } from './defaults.ts';
import type { Functions } from './functions.ts';

type HttpTrigger = Extract<Trigger, { kind: 'http' }>;
type AuthorizerTrigger = Extract<Trigger, { kind: 'authorizer' }>;

export interface ApiProps {
  stage: string;
  settings: StageSettings;
  functions: Functions;
}

/**
 * Access log fields. Deliberately no source IP, user agent or raw path: those identify people or carry
 * customer ids, and logs must stay free of personal data. The route key and request id are enough to
 * find the function's own log lines.
 */
const accessLogFormat = JSON.stringify({
  requestId: '$context.requestId',
  requestTime: '$context.requestTimeEpoch',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
});

/**
 * The HTTP API: one route per manifest function with an http trigger. Every route except the
 * deliberately public ones goes through the API key authorizer.
 */
export class Api extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { functions, settings } = props;

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `cohort-${props.stage}`,
      description: `Cohort ${props.stage} API`,
      // The default stage is created below, because only an explicit stage takes throttling and logs.
      createDefaultStage: false,
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', defaultLogGroupProps(settings));
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: settings.apiRateLimit, burstLimit: settings.apiBurstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigw.AccessLogFormat.custom(accessLogFormat),
      },
    });

    const authorizer = this.authorizer(functions);

    for (const [name, fn] of functions.entries()) {
      const trigger = fn.spec.trigger;
      if (trigger.kind !== 'http') continue;
      const isPublic = trigger.scope === 'public';
      if (!isPublic && !authorizer) {
        throw new Error(
          `Route "${routeKey(trigger)}" needs scope "${trigger.scope}" but the manifest has no authorizer function`,
        );
      }
      // In the function's nested stack, with its integration and invoke permission: three resources per
      // route that would otherwise pile up in the root stack.
      const route = new apigwv2.HttpRoute(functions.scopeOf(fn, 'Api'), `${name}Route`, {
        httpApi: this.httpApi,
        routeKey: apigwv2.HttpRouteKey.with(trigger.path, apigwv2.HttpMethod[trigger.method]),
        integration: new integrations.HttpLambdaIntegration(`${name}Integration`, fn.fn),
        authorizer: isPublic ? new apigwv2.HttpNoneAuthorizer() : authorizer,
      });
      if (isPublic) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${routeKey(trigger)} is public by design (manifest scope "public"): it serves static, non-personal content such as the OpenAPI document.`,
        });
      }
    }
  }

  get url(): string {
    return this.stage.url;
  }

  /** The manifest's single authorizer function, wrapped as a simple-response Lambda authorizer. */
  private authorizer(functions: Functions): authorizers.HttpLambdaAuthorizer | undefined {
    const found = functions.entries().filter(([, fn]) => fn.spec.trigger.kind === 'authorizer');
    if (found.length > 1) {
      throw new Error(`The manifest declares ${found.length} authorizer functions; the HTTP API takes one`);
    }
    const [entry] = found;
    if (!entry) return undefined;
    const [name, fn] = entry;
    const trigger = fn.spec.trigger as AuthorizerTrigger;
    // The authorizer resource sits in the root stack with the API and points at the function; a route in the
    // function's own nested stack would point back at it, a cycle CloudFormation cannot deploy.
    const guarded = functions
      .entries()
      .filter(([, other]) => other.spec.trigger.kind === 'http' && other.spec.trigger.scope !== 'public')
      .filter(([, other]) => Stack.of(other) === Stack.of(fn));
    if (guarded.length > 0) {
      throw new Error(
        `The authorizer "${name}" shares its group with routes it guards (${guarded.map(([n]) => n).join(', ')}); give it a group of its own`,
      );
    }
    // The cached answer is keyed by the identity source alone and reused for every route, so the
    // authorizer must answer "is this a valid key" and pass the scopes on; the per-route scope check
    // belongs in the handlers.
    return new authorizers.HttpLambdaAuthorizer(`${name}Authorizer`, fn.fn, {
      authorizerName: 'api-key',
      responseTypes: [authorizers.HttpLambdaResponseType.SIMPLE],
      identitySource: [trigger.identitySource],
      resultsCacheTtl: Duration.seconds(trigger.cacheTtlSeconds),
    });
  }
}

function routeKey(trigger: HttpTrigger): string {
  return `${trigger.method} ${trigger.path}`;
}
