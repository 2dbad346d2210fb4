import { type App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envNames, type FunctionSpec, functions } from '../../functions/manifest.ts';
import { buildApp, type CohortStack, type DeployableStage, deployableStages } from '../../infra/stack.ts';
import { stages } from '../../infra/stages.ts';
import {
  allowedActions,
  flattenedTemplate,
  functionLogicalId,
  property,
  removeAssembly,
  resourceById,
  resourcesOfType,
} from './support.ts';

/**
 * Every deployable stage synthesized without bundling (the code is the same in each stage and
 * stack.test.ts covers it), checked by cdk-nag's AWS Solutions pack the way `cdk synth` checks it, and
 * compared where the stage settings say they differ.
 */
interface Synthesized {
  app: App;
  stack: CohortStack;
  template: Template;
  /** Findings cdk-nag reports that nobody acknowledged, one line each: rule and construct paths. */
  findings: string[];
  /** What synthesis threw, if anything: the CDK fails synthesis on any finding. */
  synthError: unknown;
}

function synthesize(stage: DeployableStage, specs?: Record<string, FunctionSpec>): Synthesized {
  const { app, stack } = buildApp({ stage, bundle: false, functions: specs });
  let synthError: unknown;
  let template: Template | undefined;
  try {
    template = Template.fromJSON(flattenedTemplate(app.synth().directory, stack));
  } catch (error) {
    synthError = error;
  }
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
  const findings = report.violations.map(
    (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );
  return {
    app,
    stack,
    get template(): Template {
      if (!template) throw new Error(`synthesis failed: ${String(synthError)}`);
      return template;
    },
    findings,
    synthError,
  };
}

/** A manifest entry the real manifest does not have yet: a bus subscriber that sends email, push and SMS. */
const sender: FunctionSpec = {
  entry: functions.changePublisher.entry,
  description: 'Test double: sends on customer.changed',
  trigger: { kind: 'bus', detailTypes: ['customer.changed', 'customer.erased'] },
  resources: { ses: 'send', pinpoint: 'send' },
};

const synthesized = new Map<string, Synthesized>();

function get(name: string): Synthesized {
  const found = synthesized.get(name);
  if (!found) throw new Error(`${name} was not synthesized`);
  return found;
}

beforeAll(() => {
  for (const stage of deployableStages) synthesized.set(stage, synthesize(stage));
  synthesized.set('with sender', synthesize('dev', { ...functions, sender }));
});

afterAll(() => {
  for (const { app } of synthesized.values()) removeAssembly(app);
});

describe('cdk-nag AWS Solutions checks', () => {
  it.each([...deployableStages, 'with sender'])('finds nothing unacknowledged in %s', (name) => {
    // Act
    const { findings, synthError } = get(name);

    // Assess
    expect(findings).toEqual([]);
    expect(synthError).toBeUndefined();
  });

  it('acknowledges few findings, each with a reason that says why', () => {
    // Prepare
    const { app } = get('dev');
    const acknowledged = new Map<string, string[]>();

    // Act
    for (const construct of app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          acknowledged.set(id, [...(acknowledged.get(id) ?? []), reason]);
        }
      }
    }

    // Assess
    expect(acknowledged.size).toBeGreaterThan(0);
    // The same acknowledgment repeats once per nested stack (a function group's reference to the table or
    // bucket has its own parameter name), so kinds are counted with the reference masked: a new function
    // group adds none, a new kind of exception does. Each new kind must be argued for here: the ninth is
    // the files bucket's objects, the tenth and eleventh the link secret (no rotation: it would break
    // links in mail already sent), the twelfth the scoring functions' wildcard, the thirteenth the
    // campaign scheduler's invoke grant (one per scheduled function: "<function arn>:*", as the CDK
    // Lambda grant writes it).
    const kinds = new Set([...acknowledged.keys()].map((id) => id.replace(/<[^>]+>/g, '<reference>')));
    expect(kinds.size, [...kinds].sort().join('\n')).toBeLessThanOrEqual(13);
    for (const [id, reasons] of acknowledged) {
      expect(id).toMatch(/^(Annotation::AwsSolutions-[A-Z]+\d+(\[.+\])?|CloudFormation-Validate::W\d+)$/);
      for (const reason of reasons) {
        expect(reason.trim().length, id).toBeGreaterThanOrEqual(10);
        expect(reason, id).not.toMatch(/^(todo|n\/a|none|ok|suppressed?)\b/i);
      }
    }
  });
});

describe('stage settings', () => {
  it('keeps prod data and lets dev data go with the stack', () => {
    // Act
    const [[, prodTable] = ['', undefined]] = resourcesOfType(get('prod').template, 'AWS::DynamoDB::Table');
    const [[, devTable] = ['', undefined]] = resourcesOfType(get('dev').template, 'AWS::DynamoDB::Table');

    // Assess
    expect(prodTable?.DeletionPolicy).toBe('Retain');
    expect(prodTable?.UpdateReplacePolicy).toBe('Retain');
    expect(prodTable?.Properties?.DeletionProtectionEnabled).toBe(true);
    expect(devTable?.DeletionPolicy).toBe('Delete');
    expect(devTable?.Properties?.DeletionProtectionEnabled).toBe(false);
  });

  it('protects stacks that keep data from deletion', () => {
    for (const stage of deployableStages) {
      expect(get(stage).stack.terminationProtection, stage).toBe(stages[stage].retainData);
    }
  });

  it.each(deployableStages)('names, throttles, retains logs and alarms as the %s settings say', (stage) => {
    // Prepare
    const { template } = get(stage);
    const settings = stages[stage];

    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: `cohort-${stage}` });
    template.hasResourceProperties('AWS::Events::EventBus', { Name: `cohort-${stage}` });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: {
        ThrottlingRateLimit: settings.apiRateLimit,
        ThrottlingBurstLimit: settings.apiBurstLimit,
      },
    });
    for (const [id, logGroup] of resourcesOfType(template, 'AWS::Logs::LogGroup')) {
      expect(property(logGroup, 'RetentionInDays'), id).toBe(settings.logRetentionDays);
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: settings.queueDepthAlarmThreshold,
    });
  });

  it('refuses an unknown stage, and the local one, naming the stages it accepts', () => {
    // Act and assess
    expect(() => buildApp({ stage: 'qa', bundle: false })).toThrow(
      'Unknown stage "qa": pass -c stage=<dev|staging|prod> to cdk',
    );
    expect(() => buildApp({ stage: 'local', bundle: false })).toThrow(/Unknown stage "local".*npm start/);
    expect(() => buildApp({ bundle: false })).toThrow(/Unknown stage ""/);
  });
});

describe('bus subscribers and senders', () => {
  it('subscribes a bus trigger to its detail types from the cohort source on the Cohort bus', () => {
    // Prepare
    const { template, stack } = get('with sender');
    const [[busId] = ['']] = resourcesOfType(template, 'AWS::Events::EventBus');

    // Act
    const rules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, rule]) =>
      JSON.stringify(property(rule, 'Targets')).includes(`"${functionLogicalId(stack, 'sender')}"`),
    );
    const [[, rule] = ['', undefined]] = rules;
    const [target] = property<Record<string, unknown>[]>(rule, 'Targets');

    // Assess
    expect(rules).toHaveLength(1);
    expect(property(rule, 'EventBusName')).toEqual({ Ref: busId });
    expect(property(rule, 'EventPattern')).toEqual({
      source: ['cohort'],
      'detail-type': ['customer.changed', 'customer.erased'],
    });
    expect(target?.DeadLetterConfig).toBeDefined();
  });

  it('lets a sender send email under the configuration set and push and SMS through the app, and nothing else', () => {
    // Prepare
    const { template, stack } = get('with sender');

    // Act
    const allowed = allowedActions(template, stack, 'sender');
    const fn = resourceById(template, functionLogicalId(stack, 'sender'));
    const variables = property<{ Variables: Record<string, unknown> }>(fn, 'Environment').Variables;

    // Assess
    expect(JSON.stringify(allowed.get('ses:SendEmail'))).toContain(':configuration-set/');
    expect(JSON.stringify(allowed.get('mobiletargeting:SendMessages'))).toContain('/messages');
    expect([...allowed.keys()].filter((action) => action.startsWith('dynamodb:'))).toEqual([]);
    expect(Object.keys(variables)).toEqual(
      expect.arrayContaining([envNames.sesConfigurationSet, envNames.pinpointApp]),
    );
    expect(variables[envNames.table]).toBeUndefined();
  });
});
