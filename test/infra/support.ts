import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { App, CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { CohortFunction } from '../../infra/constructs/functions.ts';

/** A resource as it appears in a synthesized template. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/** The CloudFormation logical id of an L1 resource, as it appears in Ref and GetAtt. */
export function logicalId(stack: Stack, construct: IConstruct | undefined): string {
  if (!construct) throw new Error('no construct to take a logical id from');
  return stack.resolve((construct as CfnElement).logicalId) as string;
}

export function cohortFunction(stack: Stack, name: string): CohortFunction {
  return stack.node.findChild('Functions').node.findChild(name) as CohortFunction;
}

/** Logical id of the AWS::Lambda::Function built for a manifest entry. */
export function functionLogicalId(stack: Stack, name: string): string {
  return logicalId(stack, cohortFunction(stack, name).fn.node.defaultChild);
}

export function resourceById(template: Template, id: string): CfnResource {
  const resource = (template.toJSON().Resources as Record<string, CfnResource>)[id];
  if (!resource) throw new Error(`no resource ${id} in the template`);
  return resource;
}

/** A property that must be there; a missing one fails with its name instead of a TypeError. */
export function property<T>(resource: CfnResource | undefined, key: string): T {
  const value = resource?.Properties?.[key];
  if (value === undefined) throw new Error(`resource of type ${resource?.Type} has no ${key}`);
  return value as T;
}

export function resourcesOfType(template: Template, type: string): [string, CfnResource][] {
  return Object.entries(template.findResources(type) as Record<string, CfnResource>);
}

/** Every action the role of a manifest function is allowed, with the resources each applies to. */
export function allowedActions(template: Template, stack: Stack, name: string): Map<string, unknown[]> {
  const roleId = logicalId(stack, cohortFunction(stack, name).role.node.defaultChild);
  const allowed = new Map<string, unknown[]>();
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    const roles = (policy.Properties?.Roles ?? []) as { Ref?: string }[];
    if (!roles.some((role) => role.Ref === roleId)) continue;
    const document = policy.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] };
    for (const statement of document.Statement) {
      if (statement.Effect !== 'Allow') continue;
      const actions = [statement.Action].flat() as string[];
      const resources = [statement.Resource].flat();
      for (const action of actions) allowed.set(action, [...(allowed.get(action) ?? []), ...resources]);
    }
  }
  return allowed;
}

/** Removes the temporary cloud assembly a test app wrote (bundles included); never a checked-in folder. */
export function removeAssembly(app: App): void {
  if (app.outdir.startsWith(tmpdir())) rmSync(app.outdir, { recursive: true, force: true });
}
