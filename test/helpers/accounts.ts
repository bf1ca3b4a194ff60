/**
 * Several Mindee accounts behind one API origin: one emulator per API key, and a proxy that
 * sends each request to the emulator of the key it carries. A job or result of one account is
 * unknown to another (404), as between two Mindee organisations.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmulator, type Emulator, type EmulatorOptions } from 'mindee-v2-emulator';

export interface Accounts {
  url: string;
  emulators: Map<string, Emulator>;
  close(): Promise<void>;
}

export async function startAccounts(keys: string[], options: EmulatorOptions = {}): Promise<Accounts> {
  const emulators = new Map<string, Emulator>();
  const proxy: Server = createServer((req, res) => {
    const target = emulators.get(String(req.headers.authorization)) ?? emulators.values().next().value!;
    const upstream = new URL(target.url);
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  for (const key of keys) emulators.set(key, await startEmulator({ processingMs: 0, rateLimits: false, ...options, apiKey: key, publicBaseUrl: url }));
  return {
    url,
    emulators,
    async close() {
      await new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        proxy.closeAllConnections();
      });
      for (const e of emulators.values()) await e.close();
    },
  };
}
