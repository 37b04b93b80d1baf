// The board's REST snapshot: the session, its stats and every attempt (for flags and highlights),
// fetched a few attempts at a time.

import { api } from "../common/api.js";

const ATTEMPT_FETCH_CONCURRENCY = 6;

async function mapLimited(items, limit, worker) {
  const results = new Array(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await worker(items[index]).catch(() => null);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return results;
}

/** What board.applySnapshot takes; an attempt that fails to load is null (its flags stay as they were). */
export async function fetchSnapshot({ apiBase, attemptApiBase }) {
  const sentMs = Date.now();
  const [session, stats] = await Promise.all([api(apiBase), api(`${apiBase}/stats`)]);
  const receivedMs = Date.now();
  const attempts = await mapLimited(
    (stats.students || []).filter((s) => s.attempt_id !== null && s.attempt_id !== undefined),
    ATTEMPT_FETCH_CONCURRENCY,
    (s) => api(`${attemptApiBase}${encodeURIComponent(s.attempt_id)}`),
  );
  return { session, stats, attempts, sentMs, receivedMs };
}
