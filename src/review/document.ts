/**
 * Where the review view finds a result's document. A minimal version: the review view's branch
 * (issue 20, the view) replaces this file with one that serves `mindee://documents/{inference_id}`
 * to the document's owner; until then no document is offered, and the answer says why.
 */
export type DocumentRef = { uri: string; mime_type: string; pages: number | null } | { uri: null; reason: string };

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- the agreed signature: the view's version reads the document through deps
export async function documentRef(inferenceId: string, deps: unknown): Promise<DocumentRef> {
  return { uri: null, reason: 'this server keeps no document images for review yet: the review shows values, pages and boxes only' };
}
