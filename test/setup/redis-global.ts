/**
 * Runs once per test run: without redis-server the Redis tests are skipped, said in one line;
 * under CI=true a missing redis-server fails the run instead (.ci/run installs it).
 */
import { REDIS_MISSING, hasRedis } from '../helpers/redis.js';

export default function setup(): void {
  if (hasRedis) return;
  if (process.env.CI === 'true') throw new Error(`The Redis tests cannot run under CI: ${REDIS_MISSING}.`);
  process.stderr.write(`Redis tests skipped: ${REDIS_MISSING}.\n`);
}
