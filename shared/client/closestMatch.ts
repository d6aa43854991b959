// "Did you mean ...?" for unknown commands, flags and properties (the CLI, the dashboard): the candidate with the
// smallest edit distance, when close enough to be a plausible typo. Browser-safe: the dashboard compiles it too.
import { editDistance } from '../domain/editDistance.js';

/** The closest candidate within a distance of about a third of the word (at least 2), or undefined. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = candidate.toLowerCase().startsWith(word.toLowerCase())
      ? 1
      : editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(2, Math.ceil(word.length / 3));
  return bestDistance <= allowed ? best : undefined;
}
