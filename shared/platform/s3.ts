import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { config, sdkClientConfig } from './config.ts';

/**
 * The S3 client, created on first use; a module of its own for the reason given in aws.ts. Locally
 * fauxqs serves S3 on its endpoint, addressed path-style: virtual-hosted names (bucket.host) would need
 * DNS for every bucket, and a presigned URL must work from curl on the same machine.
 */
let s3: S3Client | undefined;

export function s3Client(): S3Client {
  s3 ??= new S3Client({
    ...sdkClientConfig('S3_ENDPOINT'),
    forcePathStyle: config().S3_ENDPOINT !== undefined,
  });
  return s3;
}

/** Presigned URLs are short-lived: long enough to upload a large file, short enough to leak little. */
export const PRESIGN_SECONDS = 15 * 60;

export interface PresignedUrl {
  url: string;
  expiresAt: string;
}

/**
 * A URL that lets its holder PUT one object, without credentials. No content type is signed, so any
 * client (curl -T, fetch) can upload with whatever headers it sends.
 */
export async function presignPut(
  bucket: string,
  key: string,
  seconds = PRESIGN_SECONDS,
): Promise<PresignedUrl> {
  const url = await getSignedUrl(s3Client(), new PutObjectCommand({ Bucket: bucket, Key: key }), {
    expiresIn: seconds,
  });
  return { url, expiresAt: new Date(Date.now() + seconds * 1000).toISOString() };
}

/** A URL that lets its holder GET one object, optionally saved under a file name. */
export async function presignGet(
  bucket: string,
  key: string,
  options: { seconds?: number; fileName?: string; contentType?: string } = {},
): Promise<PresignedUrl> {
  const seconds = options.seconds ?? PRESIGN_SECONDS;
  const url = await getSignedUrl(
    s3Client(),
    new GetObjectCommand({
      Bucket: bucket,
      Key: key,
      ...(options.fileName && {
        ResponseContentDisposition: `attachment; filename="${options.fileName.replaceAll('"', '')}"`,
      }),
      ...(options.contentType && { ResponseContentType: options.contentType }),
    }),
    { expiresIn: seconds },
  );
  return { url, expiresAt: new Date(Date.now() + seconds * 1000).toISOString() };
}

/** The size of an object, or undefined when there is none under the key. */
export async function objectSize(bucket: string, key: string): Promise<number | undefined> {
  try {
    const head = await s3Client().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.ContentLength ?? 0;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'NotFound' || name === 'NoSuchKey') return undefined;
    throw error;
  }
}
