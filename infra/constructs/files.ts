import { Duration, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { StageSettings } from '../stages.ts';
import { dataRemovalPolicy } from './defaults.ts';

export interface FilesProps {
  stage: string;
  settings: StageSettings;
}

/** Key prefixes of the files bucket; the lifecycle rules expire each. */
export const filePrefixes = { imports: 'imports/', exports: 'exports/' } as const;

/**
 * The files bucket: uploaded import files and produced exports, reached by clients only through
 * short-lived presigned URLs. Private, encrypted, TLS-only. Unversioned on purpose: these files hold
 * personal data and are transient, and a noncurrent version would keep a copy that erasure and expiry
 * never see. Everything under the prefixes expires after the stage's retention.
 */
export class Files extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: FilesProps) {
    super(scope, id);
    const expiration = Duration.days(props.settings.fileRetentionDays);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      removalPolicy: dataRemovalPolicy(props.settings),
      lifecycleRules: [
        { id: 'expire-imports', prefix: filePrefixes.imports, expiration },
        { id: 'expire-exports', prefix: filePrefixes.exports, expiration },
        // A client that gave up halfway leaves parts that are billed and invisible.
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Objects are written and read only through presigned URLs the API hands out after authorizing the caller, and CloudTrail data events can record object access where an audit needs it; an access-log bucket would hold request logs (object keys, IPs) for files that themselves expire within days.',
    });
  }
}
