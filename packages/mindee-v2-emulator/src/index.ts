/**
 * A local emulator of the Mindee v2 API: real HTTP, simulated (and plainly labelled) results,
 * webhooks, rate limits and injectable faults. It stands alone: nothing here imports the tools.
 */
export { EMULATOR_API_KEY, EMULATOR_WEBHOOK_SECRET, startEmulator } from './server.js';
export type { Emulator, EmulatorOptions, FaultEvent, RequestRecord, WebhookEvent } from './server.js';
export { runEmulatorCli, parseEmulatorArgs, EMULATOR_USAGE } from './cli.js';
export type { CliIo } from './cli.js';
export { DEMO_MODELS, DEMO_WEBHOOKS, FAILURES, INVOICE_FIELDS, RECEIPT_FIELDS, demoModels } from './models.js';
export { SIMULATED_MARKER } from './simulate-extraction.js';
export { signWebhookBody } from './webhooks.js';
export type { ProcessingInfo } from './store.js';
export { PRODUCTS } from './types.js';
export type {
  EmulatorModel,
  Fault,
  FaultKind,
  FaultRoute,
  InferenceBody,
  JobBody,
  JobErrorInit,
  JobJson,
  Problem,
  Product,
  SchemaField,
  WebhookEndpoint,
} from './types.js';
