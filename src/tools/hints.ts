/**
 * What to tell the model to do next about an error, in the tools' words: the client and the
 * results module raise errors with a stable code and a hint that names no tool; here the codes
 * that have a better next step get one.
 */
import { MindeeApiError, describeError, type MindeeError } from '../client/errors.js';
import type { ToolSettings } from './define.js';

// An emulator inside this server knows only the jobs and results of this process: a host that
// starts a server per call (the MCP Inspector's CLI) asks a fresh emulator about an old job.
const IN_PROCESS_404 =
  'The emulator runs inside this server process (--emulator) and knows only the jobs and results made since it ' +
  'started; a job from an earlier server process is gone with it. Send the document again in this session, or run ' +
  'the emulator on its own (`mindee-mcp emulator --port 8080`) and point the server at it with ' +
  'MINDEE_V2_BASE_URL=http://127.0.0.1:8080 and MINDEE_V2_API_KEY=md_emulator_local_key.';

/** Per code: the next step, naming the tools and arguments that take it. */
function toolHint(error: MindeeError, settings?: Pick<ToolSettings, 'inProcessEmulator' | 'callerKeys'>): string | undefined {
  if (settings?.inProcessEmulator && error instanceof MindeeApiError && error.status === 404) return `${error.hint ?? ''} ${IN_PROCESS_404}`.trim();
  if (settings?.callerKeys && error instanceof MindeeApiError && error.status === 401) {
    return 'Mindee refused the API key sent with this request: send your own valid Mindee v2 key (md_…, v1 keys do not work) as "Authorization: Bearer md_…" or "X-Mindee-Api-Key: md_…".';
  }
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
export function errorText(error: MindeeError, settings?: Pick<ToolSettings, 'inProcessEmulator' | 'callerKeys'>): string {
  return describeError(error, toolHint(error, settings) ?? error.hint);
}

/** A 404 on a result of unknown product: it may be another product's. */
export function withProductHint(error: unknown): unknown {
  if (!(error instanceof MindeeApiError) || error.status !== 404) return error;
  return error.withHint(`${error.hint ?? ''} If another product than extraction made the result, pass product (classification, crop, ocr or split).`.trim());
}
