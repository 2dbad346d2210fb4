import { NestedStack } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { type FunctionSpec, functionGroup, functions } from '../../functions/manifest.ts';
import type { Functions } from '../../infra/constructs/functions.ts';
import { buildApp } from '../../infra/stack.ts';
import { removeAssembly, stackTemplates } from './support.ts';

/**
 * CloudFormation takes at most 500 resources per stack, root and nested alike. The stage is split into a
 * root stack (the stateful, shared resources) and a nested stack per function group; this keeps every one
 * of them well under the limit, and names the counts so whoever adds functions sees the headroom left.
 * Synthesized while the tests are collected (without bundling), so the counts can be in the test names.
 */
const limit = 400;
const { app, stack } = buildApp({ stage: 'prod', bundle: false });
const assembly = app.synth();
const sizes = stackTemplates(assembly.directory, stack).map(({ stack: s, template }) => ({
  name: NestedStack.isNestedStack(s) ? `nested stack ${s.node.id}` : `root stack ${s.stackName}`,
  count: Object.keys(template.Resources).length,
}));

afterAll(() => removeAssembly(app));

describe('stack sizes', () => {
  it.each(sizes)(`$name holds $count of 500 resources (limit here ${limit})`, ({ count }) => {
    expect(count).toBeLessThan(limit);
  });

  it('deploys every manifest function in the nested stack of its group', () => {
    // Prepare
    const deployed = stack.node.findChild('Functions') as Functions;

    for (const [name, spec] of Object.entries(functions) as [string, FunctionSpec][]) {
      // Act
      const holder = NestedStack.of(deployed.get(name));

      // Assess
      expect(holder.node.id, name).toBe(functionGroup(name, spec));
      expect(NestedStack.isNestedStack(holder), name).toBe(true);
    }
  });
});
