import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  type ListMultipartUploadsCommandOutput,
} from '@aws-sdk/client-s3';
import { type S3Bucket } from './s3-bucket';
import { explainS3Error, isNotFound, isNotImplemented } from './s3-errors';

/**
 * Aborts the multipart uploads left under `prefix` by a process that died mid-upload: S3
 * keeps (and bills) their parts until aborted. A service without ListMultipartUploads
 * (s3rver) has nothing to list; the bucket's lifecycle rule is the safety net there.
 */
export async function abortUploadsUnder(bucket: S3Bucket, prefix: string): Promise<number> {
  let aborted = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    let page: ListMultipartUploadsCommandOutput;
    try {
      page = await bucket.sendRaw<ListMultipartUploadsCommandOutput>(
        new ListMultipartUploadsCommand({
          Bucket: bucket.name,
          Prefix: prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
    } catch (error) {
      if (isNotImplemented(error)) return aborted;
      throw explainS3Error(error, 'ListMultipartUploads', bucket.where);
    }
    for (const upload of page.Uploads ?? []) {
      try {
        await bucket.sendRaw(
          new AbortMultipartUploadCommand({ Bucket: bucket.name, Key: upload.Key, UploadId: upload.UploadId }),
        );
        aborted++;
      } catch (error) {
        if (!isNotFound(error) && (error as { name?: string }).name !== 'NoSuchUpload')
          throw explainS3Error(error, `AbortMultipartUpload ${upload.Key}`, bucket.where);
      }
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker);
  return aborted;
}
