// Sends the patient's files straight to S3 with Uppy: each file is declared to the API when its
// turn comes (so the presigned POST is minted on demand and cannot expire in a queue), large files
// go as multipart uploads whose part URLs are asked for one by one; Uppy retries failed requests.
import AwsS3 from "@uppy/aws-s3";
import Uppy from "@uppy/core";
import DropTarget from "@uppy/drop-target";
import { call } from "./api.js";

const MIB = 1024 * 1024;
const MAX_PARTS = 10000;

/** The API's part size rule: whole MiB, at least the minimum, and at most 10,000 parts. */
export function partSize(size, minimum) {
  const needed = Math.ceil(size / MAX_PARTS);
  return Math.max(minimum, Math.ceil(needed / MIB) * MIB);
}

export function uploader({ caseId, token, limits, dropTarget, kindOf }) {
  const files = (path) => `/cases/${caseId}/files${path}`;
  const uppy = new Uppy({ autoProceed: true, allowMultipleUploadBatches: true });

  async function declare(file) {
    const name = (file.meta.relativePath || file.name).slice(-255);
    const declared = await call("POST", files(""), {
      token,
      body: { files: [{ name, size: file.size, kind: file.meta.kind ?? kindOf() }] },
    });
    const [instruction] = declared.uploads;
    uppy.setFileMeta(file.id, { fileId: instruction.file_id });
    return instruction;
  }

  uppy.use(DropTarget, { target: dropTarget });
  uppy.use(AwsS3, {
    limit: 4,
    retryDelays: [0, 1000, 3000, 5000],
    shouldUseMultipart: (file) => file.size > limits.multipartThresholdBytes,
    getChunkSize: (file) => partSize(file.size, limits.minPartBytes),
    async getUploadParameters(file) {
      const instruction = await declare(file);
      return { method: "POST", url: instruction.url, fields: instruction.fields };
    },
    async createMultipartUpload(file) {
      const instruction = await declare(file);
      return { uploadId: instruction.multipart.upload_id, key: instruction.file_id };
    },
    async signPart(_file, { key, partNumber }) {
      const issued = await call("POST", files(`/${key}/parts`), { token, body: { part_numbers: [partNumber] } });
      return { url: issued.parts[0].url };
    },
    async listParts() {
      return []; // no resumption across page loads: an interrupted upload starts again
    },
    async completeMultipartUpload(_file, { key, parts }) {
      await call("POST", files(`/${key}/complete`), {
        token,
        body: { parts: parts.map((p) => ({ part_number: p.PartNumber, etag: p.ETag })) },
      });
      return {};
    },
    async abortMultipartUpload(_file, { key }) {
      await call("POST", files(`/${key}/abort`), { token });
    },
  });
  // Every file added is tagged with the kind chosen when it was added.
  uppy.on("file-added", (file) => {
    if (!file.meta.kind) uppy.setFileMeta(file.id, { kind: kindOf() });
  });
  return uppy;
}
