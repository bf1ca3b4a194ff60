/**
 * A local emulator of the Mindee v2 API: real HTTP, simulated (and plainly labelled) results,
 * webhooks, rate limits and injectable faults. It stands alone: it imports no client of the API.
 * The sample document generators are the `mindee-v2-emulator/samples` entry point.
 */
export { EMULATOR_API_KEY, EMULATOR_WEBHOOK_SECRET, startEmulator } from './server.js';
export type { Emulator, EmulatorEvents, EmulatorOptions, FaultEvent, RequestRecord, WebhookEvent } from './server.js';
export { emulatorUsage, parseEmulatorArgs, runEmulatorCli } from './cli.js';
export type { EmulatorCliIo, ParsedEmulatorArgs } from './cli.js';
export { DEMO_MODELS, DEMO_WEBHOOKS, FAILURES, INVOICE_FIELDS, RECEIPT_FIELDS, demoModels } from './models.js';
export { loadModelsFile, MODELS_FILE_LIMITS, ModelsFileError, parseModels } from './models-file.js';
export { SIMULATED_MARKER } from './simulate-extraction.js';
export { signWebhookBody } from './webhooks.js';
export type { ProcessingInfo } from './store.js';
export { PRODUCTS } from './types.js';
export type {
  EmulatorModel,
  ExtractionOptionDefaults,
  Fault,
  FaultKind,
  FaultRoute,
  InferenceBody,
  JobBody,
  JobErrorInit,
  JobJson,
  JobStatus,
  JobWebhookJson,
  Problem,
  ProblemItem,
  Product,
  SchemaField,
  SchemaFieldType,
  WebhookEndpoint,
  WebhookErrorJson,
} from './types.js';
