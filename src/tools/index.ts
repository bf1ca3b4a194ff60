import type { ToolDefinition } from './define.js';
import { enqueueDocument } from './enqueue-document.js';
import { getInferenceResult } from './get-inference-result.js';
import { getJobStatus } from './get-job-status.js';
import { searchModels } from './search-models.js';

/** Every tool the server offers, in the order tools/list shows them. */
export const tools = [enqueueDocument, getJobStatus, getInferenceResult, searchModels] as unknown as ToolDefinition[];
