/**
 * MCP tasks over Streamable HTTP. The server is stateless — every request, tasks/get and
 * tasks/result included, is answered by a new McpServer — so a task lives in the shared task
 * store, not in the server that created it.
 */
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startHttpHarness, type HttpHarness } from '../helpers/http-harness.js';
import { recordOutput } from '../setup/secrets.js';

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('MCP tasks over HTTP', () => {
  it('a task started in one request is followed, read and listed in others', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'none'], emulator: { processingMs: Infinity } });
    const client = await h.client();
    const created = new Promise<string>((resolve) => h!.emulator.once('job-created', (job: { id: string }) => resolve(job.id)));
    const { task } = await client.request(
      { method: 'tools/call', params: { name: 'enqueue_document', arguments: { model_id: DEMO_MODELS.invoice, url: 'https://example.com/a.pdf' }, task: {} } },
      CreateTaskResultSchema,
    );
    expect(task.status).toBe('working');
    const jobId = await created;
    await vi.waitFor(async () => expect((await client.experimental.tasks.getTask(task.taskId)).statusMessage).toContain(`job ${jobId}`));

    h.emulator.completeJob(jobId);
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    recordOutput('tasks/result over HTTP', result);
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { result: { fields: Record<string, unknown> } }).result.fields).toBeTruthy();
    expect((await client.experimental.tasks.getTask(task.taskId)).status).toBe('completed');
    const listed = await client.experimental.tasks.listTasks();
    expect(listed.tasks.map((t) => t.taskId)).toContain(task.taskId);
  });
});
