/**
 * What to tell the model to do next about an error, in the tools' words: the client and the
 * results module raise errors with a stable code and a hint that names no tool; here the codes
 * that have a better next step get one.
 */
import { MindeeApiError, describeError, type MindeeError } from '../client/errors.js';

/** Per code: the next step, naming the tools and arguments that take it. */
function toolHint(error: MindeeError): string | undefined {
  switch (error.code) {
    case 'foreign_origin':
      return `${error.hint ?? ''} To read it from the configured API instead, call get_inference_result with the inference_id.`.trim();
    case 'no_result_url':
      return 'Call get_inference_result with the inference_id if you have it, or enqueue_document again.';
    case 'not_sent':
      return 'Nothing was sent. Call again in a minute, or with a larger max_wait_seconds.';
    case 'file_not_allowed':
      return `${error.hint ?? ''} Or pass a public https \`url\` of the document instead of file_path.`.trim();
    case 'base64_refused':
      return `${error.hint ?? ''} Prefer file_path (a file in an allowed directory) or url (public https) to file_base64.`.trim();
    case 'url_refused':
      return `${error.hint ?? ''} A local file goes in file_path; url takes public https addresses only.`.trim();
    case 'path_is_url':
      return `${error.hint ?? ''} file_path takes local paths; a https address goes in url.`.trim();
    default:
      return undefined;
  }
}

/** The text of an error result: what failed, then what to do. */
export function errorText(error: MindeeError): string {
  return describeError(error, toolHint(error) ?? error.hint);
}

/** A 404 on a result of unknown product: it may be another product's. */
export function withProductHint(error: unknown): unknown {
  if (!(error instanceof MindeeApiError) || error.status !== 404) return error;
  return new MindeeApiError({
    status: error.status,
    code: error.problemCode,
    title: error.title,
    detail: error.detail,
    errors: error.errors,
    retryAfterSeconds: error.retryAfterSeconds,
    action: 'return the result',
    hint: `${error.hint ?? ''} If another product than extraction made the result, pass product (classification, crop, ocr or split).`.trim(),
  });
}
