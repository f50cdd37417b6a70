import request from 'supertest';
import { BackupService } from '../../src/backup/backup.service';
import type { TestApp } from './test-app';

export const ADMIN_TOKEN = 'backup-tests-admin-token';
export const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * Polls GET until the backup leaves `running`, then waits for the job itself to end (it
 * still removes its scratch space and releases its lock, then applies retention), so the
 * next trigger is never refused; returns the final view.
 */
export async function waitForBackup(t: TestApp, id: string, timeoutMs = 60_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await request(t.server).get(`/api/v1/backups/${id}`).set(AUTH).expect(200);
    if (body.state !== 'running') {
      await t.app.get(BackupService).waitFor(id);
      return body;
    }
    if (Date.now() > deadline) throw new Error(`backup ${id} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Triggers a backup through the API and waits for it to succeed. */
export async function takeBackup(t: TestApp, type: 'full' | 'incremental', tag?: string): Promise<Record<string, any>> {
  const { body } = await request(t.server)
    .post('/api/v1/backups')
    .set(AUTH)
    .send(tag ? { type, tag } : { type })
    .expect(202);
  const done = await waitForBackup(t, body.id);
  if (done.state !== 'succeeded') throw new Error(`backup ${body.id} ${done.state}: ${JSON.stringify(done.error)}`);
  return done;
}

/** Starts a restore through the API and waits for its job to end. */
export async function restoreThroughApi(
  t: TestApp,
  body: Record<string, unknown>,
  timeoutMs = 60_000,
): Promise<Record<string, any>> {
  const started = await request(t.server).post('/api/v1/backups/restore').set(AUTH).send(body);
  if (started.status !== 202) throw new Error(`restore answered ${started.status}: ${JSON.stringify(started.body)}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body: job } = await request(t.server)
      .get(`/api/v1/backups/restores/${started.body.id}`)
      .set(AUTH)
      .expect(200);
    if (job.state !== 'running') return job;
    if (Date.now() > deadline) throw new Error(`restore ${started.body.id} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sleeps until just after the next whole second, so binlog timestamps (1 s resolution) separate events. */
export async function nextSecond(marginMs = 150): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + marginMs));
}
