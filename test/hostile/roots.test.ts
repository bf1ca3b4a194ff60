/**
 * Issue 9 (weak): a root the client revokes stops counting the moment the change is announced,
 * not when the client gets round to answering roots/list; and a flood of announcements costs a
 * bounded number of roots/list requests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
});

/** A roots/list handler whose answers the test releases, counting the requests. */
function heldRoots(h: Harness) {
  let roots: Array<{ uri: string; name?: string }> = [];
  let requests = 0;
  let release: () => void = () => {};
  let held = Promise.resolve();
  let arrived: () => void = () => {};
  let nextArrival = new Promise<void>((resolve) => (arrived = resolve));
  h.mcp.setRequestHandler(ListRootsRequestSchema, async () => {
    requests++;
    arrived();
    nextArrival = new Promise<void>((resolve) => (arrived = resolve));
    await held;
    return { roots };
  });
  return {
    get requests() {
      return requests;
    },
    set(list: typeof roots) {
      roots = list;
    },
    /** Until `release`, roots/list requests wait unanswered. */
    hold() {
      held = new Promise<void>((resolve) => (release = resolve));
    },
    release: () => release(),
    arrival: () => nextArrival,
  };
}

/** Resolves when the server has next put a roots list in force. */
function nextRootsApplied(h: Harness): Promise<void> {
  const files = h.deps.files;
  const setRoots = files.setRoots.bind(files);
  return new Promise((resolve) => {
    files.setRoots = async (roots) => {
      files.setRoots = setRoots;
      await setRoots(roots);
      resolve();
    };
  });
}

describe('MCP roots under churn', () => {
  it('stops using a root as soon as the client announces a change, before its new list is in', async () => {
    h = await startHarness({ roots: true, allowedDirs: [] });
    const docs = join(h.dir, 'docs');
    await mkdir(docs);
    const file = join(docs, 'a.pdf');
    await writeFile(file, makeSampleInvoicePdf());
    const client = heldRoots(h);
    client.set([{ uri: pathToFileURL(docs).href }]);
    const applied = nextRootsApplied(h);
    await h.mcp.sendRootsListChanged();
    await applied;
    expect(h.deps.files.directories()).toEqual([docs]);
    const before = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: file, wait: false });
    expect(before.isError, textOf(before)).toBeFalsy();

    // The client revokes the root, and is slow to say what is left.
    client.set([]);
    client.hold();
    const arrival = client.arrival();
    await h.mcp.sendRootsListChanged();
    await arrival;
    const during = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: file, wait: false });
    expect(during.isError).toBe(true);
    expect(textOf(during)).toMatch(/no allowed directory is set/);
    client.release();
  });

  it('coalesces a flood of list_changed into at most one request in flight and one after it', async () => {
    h = await startHarness({ roots: true, allowedDirs: [] });
    const docs = join(h.dir, 'docs');
    await mkdir(docs);
    const client = heldRoots(h);
    client.set([{ uri: pathToFileURL(docs).href }]);
    client.hold();
    const arrival = client.arrival();
    for (let i = 0; i < 20_000; i++) await h.mcp.sendRootsListChanged();
    await arrival;
    await h.call('search_models', {}); // every notification was handled before this answer
    expect(client.requests).toBe(1);
    // The one pending refresh reads the list once more, and puts it in force.
    const second = client.arrival();
    const applied = nextRootsApplied(h);
    client.release();
    await second;
    await applied;
    expect(h.deps.files.directories()).toEqual([docs]);
    await h.call('search_models', {});
    expect(client.requests).toBe(2);
  });
});
