import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, type CfnElement, NestedStack, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { CohortFunction, Functions } from '../../infra/constructs/functions.ts';

/** A resource as it appears in a synthesized template. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/**
 * The id of an L1 resource in the flattened template of `stack` (see {@link flattenedTemplate}): its
 * CloudFormation logical id, behind the logical ids of the nested stacks it sits in (`Nested/Resource`).
 */
export function logicalId(stack: Stack, construct: IConstruct | undefined): string {
  if (!construct) throw new Error('no construct to take a logical id from');
  const own = Stack.of(construct);
  const id = own.resolve((construct as CfnElement).logicalId) as string;
  if (own === stack) return id;
  if (!NestedStack.isNestedStack(own))
    throw new Error(`${construct.node.path} is not inside ${stack.node.path}`);
  return `${logicalId(stack, own.nestedStackResource)}/${id}`;
}

export function cohortFunction(stack: Stack, name: string): CohortFunction {
  return (stack.node.findChild('Functions') as Functions).get(name);
}

interface CfnTemplate {
  Resources: Record<string, CfnResource & { DependsOn?: string | string[] }>;
  Outputs?: Record<string, { Value: unknown }>;
  Parameters?: Record<string, unknown>;
}

/** Every stack of the assembly under `stack`: itself and its nested stacks, with their own templates. */
export function stackTemplates(directory: string, stack: Stack): { stack: Stack; template: CfnTemplate }[] {
  const nested = stack.node.findAll().filter((c): c is NestedStack => NestedStack.isNestedStack(c));
  return [stack, ...nested].map((s) => ({
    stack: s,
    template: JSON.parse(readFileSync(join(directory, s.templateFile), 'utf8')) as CfnTemplate,
  }));
}

/**
 * The template of `stack` with its nested stacks' resources merged in, as if it were one stack: a nested
 * resource is keyed `NestedStackLogicalId/LogicalId` (see {@link logicalId}), its references to parameters
 * are replaced by what the parent passes, and the parent's references to nested outputs by the outputs'
 * values. So an assertion reads the same whichever stack a resource landed in.
 */
export function flattenedTemplate(directory: string, stack: Stack): CfnTemplate {
  const read = (s: Stack) => JSON.parse(readFileSync(join(directory, s.templateFile), 'utf8')) as CfnTemplate;
  const flatten = (s: Stack): CfnTemplate => {
    const template = read(s);
    const outputsOf = new Map<string, Record<string, { Value: unknown }>>();
    const resolveOutputs = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(resolveOutputs);
      if (value === null || typeof value !== 'object') return value;
      const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
      if (Array.isArray(getAtt)) {
        const [id, attribute] = getAtt as [string, string];
        const output = outputsOf.get(id)?.[attribute.replace(/^Outputs\./, '')];
        if (output) return output.Value;
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveOutputs(v)]));
    };
    const children = s.node
      .findAll()
      .filter((c): c is NestedStack => NestedStack.isNestedStack(c) && c.nestedStackParent === s);
    for (const child of children) {
      const childId = s.resolve(child.nestedStackResource?.logicalId) as string;
      const passed = resolveOutputs(template.Resources[childId]?.Properties?.Parameters ?? {}) as Record<
        string,
        unknown
      >;
      const inner = flatten(child);
      const local = (id: string) => `${childId}/${id}`;
      const rewrite = (value: unknown): unknown => {
        if (Array.isArray(value)) return value.map(rewrite);
        if (value === null || typeof value !== 'object') return value;
        const object = value as Record<string, unknown>;
        const ref = object.Ref;
        if (typeof ref === 'string' && Object.keys(object).length === 1) {
          if (ref in passed) return passed[ref];
          return ref in inner.Resources ? { Ref: local(ref) } : object;
        }
        const getAtt = object['Fn::GetAtt'];
        if (Array.isArray(getAtt) && Object.keys(object).length === 1) {
          const [id, attribute] = getAtt as [string, string];
          return { 'Fn::GetAtt': [id in inner.Resources ? local(id) : id, attribute] };
        }
        return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, rewrite(v)]));
      };
      for (const [id, resource] of Object.entries(inner.Resources)) {
        const dependsOn =
          resource.DependsOn === undefined ? undefined : [resource.DependsOn].flat().map(local);
        template.Resources[local(id)] = {
          ...(rewrite(resource) as CfnResource),
          ...(dependsOn && { DependsOn: dependsOn }),
        };
      }
      outputsOf.set(childId, rewrite(inner.Outputs ?? {}) as Record<string, { Value: unknown }>);
    }
    return { ...template, Resources: resolveOutputs(template.Resources) as CfnTemplate['Resources'] };
  };
  return flatten(stack);
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
