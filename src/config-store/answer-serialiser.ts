import type { ConfigAnswer, LogicConfig } from './config-answer';

/**
 * Cache answers of one entry never change (same config object, version, fetchedAt), so
 * their JSON is made once and reused: the memory cache hands back the same config object
 * on every hit. Keyed weakly by that object; answers from elsewhere are serialised fresh.
 */
const cacheAnswers = new WeakMap<LogicConfig, { fetchedAt: string; json: string }>();

export function serialiseAnswer(answer: ConfigAnswer): string {
  if (answer.source !== 'cache') return JSON.stringify(answer);
  const memo = cacheAnswers.get(answer.config);
  if (memo && memo.fetchedAt === answer.fetchedAt) return memo.json;
  const json = JSON.stringify(answer);
  cacheAnswers.set(answer.config, { fetchedAt: answer.fetchedAt, json });
  return json;
}
