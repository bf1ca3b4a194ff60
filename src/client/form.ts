/** The multipart form of an enqueue, made anew for each attempt (a sent body is consumed). */
import type { FormData } from 'undici';
import type { EnqueueParams, UploadDocument } from './mindee-client.js';

const FLAGS = [
  ['rag', 'rag'],
  ['rawText', 'raw_text'],
  ['polygon', 'polygon'],
  ['confidence', 'confidence'],
] as const;

export function enqueueForm(Form: typeof FormData, document: UploadDocument, params: EnqueueParams): FormData {
  const form = new Form();
  form.append('model_id', params.modelId);
  if (document.kind === 'file') form.append('file', document.blob, document.filename);
  else form.append('url', document.url);
  if (params.alias !== undefined) form.append('alias', params.alias);
  if (params.webhookIds && params.webhookIds.length > 0) form.append('webhook_ids', params.webhookIds.join(','));
  for (const [key, name] of FLAGS) {
    const value = params[key];
    if (value !== undefined) form.append(name, value ? 'true' : 'false');
  }
  if (params.textContext !== undefined) form.append('text_context', params.textContext);
  if (params.dataSchema !== undefined) {
    form.append('data_schema', typeof params.dataSchema === 'string' ? params.dataSchema : JSON.stringify(params.dataSchema));
  }
  return form;
}
