import { inject } from 'vitest';
import { type ApiAnswer, call } from './api.ts';
import { waitFor } from './wait.ts';

/** Runs one import over the public API: create, upload to the presigned URL, start, poll to the end. */
export async function runImport(
  request: Record<string, unknown>,
  file: Buffer | string,
  init: { key?: string } = {},
): Promise<{ created: ApiAnswer; job: Record<string, unknown> & { id: string; status: string } }> {
  const created = await call('POST', '/v1/imports', { body: request, ...init });
  if (created.status !== 201)
    throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
  const upload = await fetch(created.body.uploadUrl, { method: 'PUT', body: file });
  if (upload.status !== 200) throw new Error(`upload answered ${upload.status}`);
  const started = await call('POST', `/v1/imports/${created.body.id}/start`, init);
  if (started.status !== 202)
    throw new Error(`start answered ${started.status}: ${JSON.stringify(started.body)}`);
  const job = await waitFor(
    async () => {
      const answer = await call('GET', `/v1/imports/${created.body.id}`, init);
      return ['completed', 'failed'].includes(answer.body.status) ? answer.body : undefined;
    },
    `import ${created.body.id} to end`,
    120_000,
  );
  return { created, job };
}

/** The rejects CSV of a job, as text. */
export async function rejectsOf(jobId: string): Promise<string> {
  const response = await fetch(`${inject('apiUrl')}/v1/imports/${jobId}/rejects`, {
    headers: { authorization: `Bearer ${inject('adminKey')}` },
  });
  return response.text();
}
