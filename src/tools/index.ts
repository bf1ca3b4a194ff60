import type { ToolSettings } from './define.js';
import { enqueueDocument } from './enqueue-document.js';
import { enqueueDocuments } from './enqueue-documents.js';
import { getInferenceResult } from './get-inference-result.js';
import { getJobStatus } from './get-job-status.js';
import { reviewResult } from './review-result.js';
import { searchModels } from './search-models.js';

/** Every tool the server offers, in the order tools/list shows them, each with its own types. */
export function createTools(settings: ToolSettings) {
  return [enqueueDocument(settings), enqueueDocuments(settings), getJobStatus(settings), getInferenceResult(settings), reviewResult(settings), searchModels(settings)] as const;
}
