/**
 * The client's words for what it sends and tracks: the options of a call, a document to upload,
 * the parameters of an enqueue, what the process knows of a job it enqueued. Leaf types, so the
 * modules of the client can share them without importing one another.
 */
import type { Priority } from '../state/wait-queue.js';
import type { ByteSource } from './pdf-encryption.js';
import type { Product } from './schemas.js';

export interface WebhookOptions {
  /** Webhook ids added to an enqueue that gives none: those of them that its model has. */
  ids: string[];
  /** A receiver of this process gets those webhooks: waits for such jobs only poll as a safety net. */
  received: boolean;
  /** While a webhook is expected, the first poll comes this long after the job started. */
  fallbackMs: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Absolute time (ms since epoch) no request may run past. */
  deadline?: number;
  /** Place in the queue when the rate budget is short: lower goes first (default 1); a function is read again while waiting. */
  priority?: Priority;
}

/*
 * A document on its way, in three forms: where it is, as the caller named it (DocumentSource);
 * checked and open, what is uploaded (UploadDocument; `prepareDocument` makes one); where it came
 * from, recorded once sent (DocumentOrigin).
 */

/** Which file a checked path named when it was checked: the file opened must be that one. */
export interface FileIdentity {
  dev: number;
  ino: number;
  /** Its link count then: a link made or removed since is a change. */
  links: number;
}

/** Where a document is, before a byte of it is read: a local file already checked for where it lies, base64 content, or a URL. */
export type DocumentSource =
  | {
      /** The real path (no symbolic links in it) that was checked. */
      path: string;
      filename?: string;
      /** From the check; without it, any regular file at the path is taken. */
      identity?: FileIdentity;
      /** The upload (a remote server's) whose file this is, recorded with the job. */
      upload?: string;
    }
  | { base64: string; filename?: string }
  | { url: string };

/** What is uploaded: a checked file (streamed from its source, anew for each attempt) or a URL Mindee fetches itself. */
export type UploadDocument =
  | {
      kind: 'file';
      source: ByteSource;
      filename: string;
      /** Sniffed from the bytes, not taken from the name. */
      mimeType: string;
      size: number;
      /** Pages, when the bytes tell (images: 1); Mindee's processing time grows with it. */
      pageCount: number | null;
    }
  | { kind: 'url'; url: string };

/** An UploadDocument as `prepareDocument` hands it: `close` releases its file handle once the upload is over (retries included); safe to call twice. */
export type PreparedDocument = UploadDocument & { close(): Promise<void> };

/** Where an enqueued document came from, kept beside the job's owner so its pages can be shown later. */
export type DocumentOrigin =
  | { kind: 'file'; path: string; filename: string; mimeType: string; size: number; pages: number | null }
  | { kind: 'url'; url: string }
  /** An upload to a remote server, kept for review under its id (the file is found from it, for its owner only). */
  | { kind: 'upload'; upload: string; filename: string; mimeType: string; size: number; pages: number | null }
  /** Not kept (base64 content, an upload): `reason` says why. */
  | { kind: 'none'; reason: string };

export interface EnqueueParams {
  modelId: string;
  product?: Product;
  alias?: string;
  webhookIds?: string[];
  rag?: boolean;
  rawText?: boolean;
  polygon?: boolean;
  confidence?: boolean;
  textContext?: string;
  /** `{replace: {fields: [...]}}` as an object or an already serialised JSON string. */
  dataSchema?: unknown;
  /**
   * Options sent by default rather than asked for: when Mindee refuses one for the account (a
   * 4xx naming it), the enqueue is sent once more without it, and the job records it as dropped.
   */
  droppable?: Array<'polygon' | 'confidence'>;
}

/** What this process knows of a job it enqueued: when, where to, and how many pages. */
export interface TrackedJob {
  at: number;
  product: Product;
  modelId: string;
  pages: number | null;
  /** A webhook this process receives will announce its end. */
  pushExpected?: boolean;
  /** As Mindee named them: a failure webhook names the file, not the job. */
  filename?: string | null;
  alias?: string | null;
  /** Default options Mindee refused for the account, left out of the enqueue that made the job. */
  dropped?: Array<'polygon' | 'confidence'>;
}
