/**
 * GET /jobs?limit=N&after=ID: pages in registration order, for registries too large to list in
 * one answer. Without `limit` the answer is as it always was (every job; the original client).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../_server.js';

let server: TestServer;
const ids = Array.from({ length: 7 }, (_, i) => `job-${i}`);

beforeAll(async () => {
  server = await startTestServer();
  for (const id of ids) await server.call('/jobs', { method: 'POST', json: { job_id: id, config: { os: { cmd: 'true' } } } });
});
afterAll(() => server.dispose());

type Page = { jobs: Array<{ job_id: string }>; count: number; total?: number; next_after?: string };

describe('GET /jobs paged', () => {
  it('walks every job once, in registration order, with next_after until the last page', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    const pages: Page[] = [];
    for (;;) {
      const { status, body } = await server.call<Page>(`/jobs?limit=3${after ? `&after=${after}` : ''}`);
      expect(status).toBe(200);
      pages.push(body);
      seen.push(...body.jobs.map((j) => j.job_id));
      if (!body.next_after) break;
      after = body.next_after;
    }
    expect(seen).toEqual(ids);
    expect(pages.map((p) => p.count)).toEqual([3, 3, 1]);
    expect(pages.every((p) => p.total === 7)).toBe(true);
    expect(pages.at(-1)!.next_after).toBeUndefined();
  });

  it('a page that ends exactly at the last job has no next_after', async () => {
    const { body } = await server.call<Page>('/jobs?limit=7');
    expect(body.jobs).toHaveLength(7);
    expect(body.next_after).toBeUndefined();
  });

  it('without limit answers every job, with no paging fields', async () => {
    const { body } = await server.call<Page>('/jobs');
    expect(body.jobs.map((j) => j.job_id)).toEqual(ids);
    expect(body).not.toHaveProperty('next_after');
    expect(body).not.toHaveProperty('total');
  });

  it('refuses a bad limit and an after= that is not registered, saying what to do', async () => {
    const zero = await server.call('/jobs?limit=0');
    expect(zero.status).toBe(400);
    expect(zero.body.error).toContain('limit');
    const gone = await server.call('/jobs?limit=2&after=nobody');
    expect(gone.status).toBe(400);
    expect(gone.body.error).toContain('after=nobody');
    const alone = await server.call('/jobs?after=job-1');
    expect(alone.status).toBe(400);
    expect(alone.body.error).toContain('limit');
  });

  it('pages GET /jobs/active too', async () => {
    const { status, body } = await server.call<Page>('/jobs/active?limit=2');
    expect(status).toBe(200);
    expect(body).toMatchObject({ jobs: [], count: 0, total: 0 });
  });
});
