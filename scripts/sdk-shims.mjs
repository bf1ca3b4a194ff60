// What the bundle puts in place of `@modelcontextprotocol/server/_shims` (see build.mjs): the
// SDK's Node shim, with the SDK's own Cloudflare-Workers JSON Schema validator (about 40 kB, no
// code generation) instead of Ajv (about 300 kB more to compile at every start). The server
// validates JSON Schema only for form answers of 2025-style elicitation, which it never asks.
/** @public what the SDK imports from its shim */
export { CfWorkerJsonSchemaValidator as DefaultJsonSchemaValidator } from '@modelcontextprotocol/server/validators/cf-worker';
/** @public */
export { default as process } from 'node:process';
