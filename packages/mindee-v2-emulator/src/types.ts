/**
 * The shapes the emulator serves and is configured with. Response types use the API's own
 * snake_case keys because they are serialised as they are.
 */

export type Product = 'extraction' | 'classification' | 'crop' | 'ocr' | 'split';
export const PRODUCTS: readonly Product[] = ['extraction', 'classification', 'crop', 'ocr', 'split'];

export function isProduct(value: string): value is Product {
  return (PRODUCTS as readonly string[]).includes(value);
}

/** One entry of a problem's `errors` list (RFC 9457 extension used by Mindee). */
export interface ProblemItem {
  pointer: string | null;
  detail: string;
}

/** An RFC 9457-style error body, as Mindee sends it. */
export interface Problem {
  status: number;
  title: string;
  detail: string;
  code: string;
  errors: ProblemItem[];
}

/** What `failJob` and a model's `failWith` accept: `errors` may be left out. */
export interface JobErrorInit {
  status: number;
  code: string;
  title: string;
  detail: string;
  errors?: ProblemItem[];
}

export interface WebhookEndpoint {
  id: string;
  name: string;
  url: string;
}

/**
 * One field of a data schema, in the API's own words (the `data_schema` form field and the
 * models' schemas share it). `nested_fields` makes a `nested_object`.
 */
export interface SchemaField {
  name: string;
  title?: string;
  is_array?: boolean;
  type: SchemaFieldType;
  description?: string;
  guidelines?: string;
  classification_values?: string[];
  unique_values?: boolean;
  nested_fields?: SchemaField[];
}

export type SchemaFieldType =
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'classification'
  | 'nested_object';

export interface ExtractionOptionDefaults {
  raw_text?: boolean;
  polygon?: boolean;
  confidence?: boolean;
  rag?: boolean;
}

/** A model the emulated account owns. */
export interface EmulatorModel {
  id: string;
  name: string;
  modelType: Product;
  webhooks?: WebhookEndpoint[];
  /** Extraction models: the data schema the simulated fields follow. */
  fields?: SchemaField[];
  /** Extraction models: the options applied when the form leaves them out (all off by default). */
  defaultOptions?: ExtractionOptionDefaults;
  /** Every job of this model fails with this error (e.g. PROBLEMS 500-012 or 422-001). */
  failWith?: JobErrorInit;
  /** Extraction options the account may not use with this model: an enqueue asking for one is refused (402, naming it). */
  refusedOptions?: Array<'rag' | 'raw_text' | 'polygon' | 'confidence'>;
  /** Once a result has been fetched, its result and job routes answer 404. */
  deleteResultsOnFetch?: boolean;
  /** Utility models: attach a nested extraction of this extraction model to each result entry. */
  extractionModelId?: string;
  /** Classification and split models: the document types they tell apart. */
  documentTypes?: string[];
  /**
   * Extraction models, when confidence is asked for: force a level on every field (`'Low'`) or
   * on fields by result path (`{ total_amount: 'Low', 'line_items.1': 'Medium' }`; a path covers
   * what is below it, `*` every field). A document's own `Emulator confidence:` line wins.
   */
  confidence?: Confidence | Record<string, Confidence>;
}

export type FaultRoute = 'enqueue' | 'job' | 'result' | 'search' | '*';

interface FaultBase {
  route: FaultRoute;
  /** How many matching requests it hits before it is used up; default 1 (Infinity = for ever). */
  times?: number;
  /** Chance (0..1) that a matching request is hit; drawn from the emulator's seeded RNG. */
  probability?: number;
}

export type Fault = FaultBase &
  (
    | { kind: 'status'; status: number; retryAfterSeconds?: number; code?: string; title?: string; detail?: string }
    | { kind: 'rate-limit'; retryAfterSeconds?: number }
    | { kind: 'reset' }
    | { kind: 'hang' }
    | { kind: 'malformed-json' }
    | { kind: 'html'; status?: number }
    | { kind: 'foreign-result-url'; origin: string }
  );

export type FaultKind = Fault['kind'];

export type JobStatus = 'Processing' | 'Processed' | 'Failed';

/** Why a webhook delivery failed, as `job.webhooks[].error` carries it. */
/** A delivery's error, with the four keys of every Mindee error object (clients read each one). */
export interface WebhookErrorJson {
  status: number;
  title: string;
  code: string;
  detail: string;
}

/** One requested webhook of a job: listed from enqueue on, Processing until delivered or failed. */
export interface JobWebhookJson {
  id: string;
  created_at: string;
  status: JobStatus;
  error: WebhookErrorJson | null;
}

export interface JobJson {
  id: string;
  model_id: string;
  filename: string | null;
  alias: string | null;
  created_at: string;
  completed_at: string | null;
  status: JobStatus;
  polling_url: string;
  result_url: string | null;
  webhooks: JobWebhookJson[];
  error: Problem | null;
}

export interface JobBody {
  job: JobJson;
}

export type Confidence = 'Certain' | 'High' | 'Medium' | 'Low';

export interface LocationJson {
  polygon: [number, number][];
  page: number;
}

export interface SimpleFieldJson {
  value: string | number | boolean | null;
  confidence: Confidence | null;
  locations: LocationJson[];
}

export interface ObjectFieldJson {
  fields: Record<string, FieldJson>;
  confidence: Confidence | null;
  locations: LocationJson[];
}

interface ListFieldJson {
  items: (SimpleFieldJson | ObjectFieldJson)[];
  confidence: Confidence | null;
}

export type FieldJson = SimpleFieldJson | ObjectFieldJson | ListFieldJson;

interface ActiveOptionsJson {
  raw_text: boolean;
  polygon: boolean;
  confidence: boolean;
  rag: boolean;
  multipage_context: boolean;
  text_context: boolean;
  data_schema: { replace: boolean };
}

export interface InferenceFileJson {
  name: string | null;
  alias: string | null;
  page_count: number;
  mime_type: string;
}

export interface ExtractionResultJson {
  fields: Record<string, FieldJson>;
  raw_text: { pages: { content: string }[] } | null;
  rag: { retrieved_document_id: string | null } | null;
}

export interface InferenceBody<R = unknown> {
  inference: {
    id: string;
    job: { id: string };
    model: { id: string };
    file: InferenceFileJson;
    result: R;
    active_options?: ActiveOptionsJson;
  };
}

export type ExtractionInferenceBody = InferenceBody<ExtractionResultJson> & {
  inference: { active_options: ActiveOptionsJson };
};
