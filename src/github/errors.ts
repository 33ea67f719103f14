// GitHub failures as one typed error: Octokit's RequestError, which carries the
// HTTP status GitHub answered. Owns the one way the rest of the code asks "what
// did GitHub answer?" (`githubStatus`). Must never read a `status` off any other
// error: a plain Error that happens to carry one is not a GitHub answer.

import { RequestError } from "@octokit/request-error";

export { RequestError };

/** The HTTP status GitHub answered, or null when the error is not GitHub's answer (a timeout, a bug, another service). */
export function githubStatus(error: unknown): number | null {
  return error instanceof RequestError ? error.status : null;
}
