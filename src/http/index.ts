/** The remote (HTTP) side, loaded by the CLI only when it serves over HTTP. */
export { createRemoteServer, toolNames } from './remote-server.js';
export { Metrics } from './metrics.js';
export { tuneHeapForServing } from './heap.js';
