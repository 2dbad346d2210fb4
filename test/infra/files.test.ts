import type { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envNames, type FunctionSpec, functions } from '../../functions/manifest.ts';
import { buildApp, type CohortStack } from '../../infra/stack.ts';
import { stages } from '../../infra/stages.ts';
import {
  allowedActions,
  flattenedTemplate,
  functionLogicalId,
  logicalId,
  property,
  removeAssembly,
  resourceById,
  resourcesOfType,
} from './support.ts';

/**
 * The files bucket and `bindBucket`, on the dev stack with two probe functions in the manifest
 * (one reads the bucket, one writes it), so the grants are checked whichever real functions use it.
 * Not bundled: these tests read the template only.
 */
const probe = (bucket: 'read' | 'readwrite'): FunctionSpec => ({
  entry: 'functions/http/openapi.ts',
  description: `probe: bucket ${bucket}`,
  trigger: { kind: 'http', method: 'GET', path: `/v1/probe-${bucket}`, scope: 'read' },
  resources: { bucket },
});
const specs: Record<string, FunctionSpec> = {
  ...functions,
  probeRead: probe('read'),
  probeWrite: probe('readwrite'),
};

let app: App;
let stack: CohortStack;
let template: Template;

beforeAll(() => {
  ({ app, stack } = buildApp({ stage: 'dev', bundle: false, functions: specs }));
  template = Template.fromJSON(flattenedTemplate(app.synth().directory, stack));
});

afterAll(() => {
  if (app) removeAssembly(app);
});

function bucketId(): string {
  return logicalId(
    stack,
    stack.node.findChild('Files').node.findChild('Bucket').node.defaultChild ?? undefined,
  );
}

describe('files bucket', () => {
  it('is private, encrypted, unversioned and owned by the bucket owner', () => {
    // Act
    const bucket = resourceById(template, bucketId());

    // Assess
    expect(property(bucket, 'PublicAccessBlockConfiguration')).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(property(bucket, 'BucketEncryption')).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.Properties?.VersioningConfiguration).toBeUndefined();
  });

  it('expires imports and exports after the stage retention and aborts abandoned uploads', () => {
    // Act
    const rules = property<{ Rules: Record<string, unknown>[] }>(
      resourceById(template, bucketId()),
      'LifecycleConfiguration',
    ).Rules;

    // Assess
    const days = stages.dev.fileRetentionDays;
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'imports/', ExpirationInDays: days, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'exports/', ExpirationInDays: days, Status: 'Enabled' }),
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
      ]),
    );
  });

  it('refuses requests not made over TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId() },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('is deleted with the dev stack and kept with staging and prod', () => {
    // Act
    const dev = resourceById(template, bucketId());

    // Assess
    expect(dev.DeletionPolicy).toBe('Delete');
    expect(stages.staging.retainData && stages.prod.retainData).toBe(true);
  });
});

describe('bindBucket', () => {
  it('sets FILES_BUCKET on exactly the functions that declare the bucket', () => {
    for (const [name, spec] of Object.entries(specs)) {
      // Act
      const fn = resourceById(template, functionLogicalId(stack, name));
      const variables = property<{ Variables: Record<string, unknown> }>(fn, 'Environment').Variables;

      // Assess
      expect(envNames.bucket in variables, name).toBe(spec.resources.bucket !== undefined);
      if (spec.resources.bucket) expect(variables[envNames.bucket], name).toEqual({ Ref: bucketId() });
    }
  });

  it('lets a reader get objects of this bucket and write none', () => {
    // Act
    const allowed = allowedActions(template, stack, 'probeRead');

    // Assess
    expect(JSON.stringify(allowed.get('s3:GetObject'))).toContain(bucketId());
    expect(allowed.has('s3:PutObject')).toBe(false);
    expect(allowed.has('s3:DeleteObject')).toBe(false);
  });

  it('lets a writer put and delete objects of this bucket, and change no bucket configuration', () => {
    // Act
    const allowed = allowedActions(template, stack, 'probeWrite');

    // Assess
    expect(JSON.stringify(allowed.get('s3:PutObject'))).toContain(bucketId());
    expect(JSON.stringify(allowed.get('s3:DeleteObject'))).toContain(bucketId());
    const configuration = [...allowed.keys()].filter((a) => /^s3:(Put|Delete)Bucket/.test(a));
    expect(configuration).toEqual([]);
  });

  it('gives functions without the bucket no S3 access at all', () => {
    const without = Object.entries(specs).filter(
      ([, spec]) => !(spec.resources as { bucket?: string }).bucket,
    );
    expect(without.length).toBeGreaterThan(0);
    for (const [name] of without) {
      // Act
      const s3Actions = [...allowedActions(template, stack, name).keys()].filter((a) => a.startsWith('s3:'));

      // Assess
      expect(s3Actions, name).toEqual([]);
    }
  });

  it('outputs the bucket name', () => {
    expect(Object.keys(template.toJSON().Outputs ?? {})).toContain('FilesBucketName');
    expect(resourcesOfType(template, 'AWS::S3::Bucket').length).toBe(1);
  });
});
