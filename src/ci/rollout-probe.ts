// The optional rollout stage: asks a URL the operator configured (a version
// endpoint, say) whether the pushed commit is what is running. Owns the HTTP
// call, its timeout and its reading: a 2xx whose body contains the sha is
// rolled out; a 5xx means the deployed service is broken (red); anything else
// (another sha, 4xx, timeout, refused) is "not yet", which ci-timeout bounds. Must never follow the probe into
// deciding a verdict (core/ci.ts folds it) or print more than a short detail.

import { request } from "undici";
import type { RolloutProbe } from "../core/ci.js";

const MAX_BODY = 64 * 1024;

export function rolloutUrl(template: string, values: { sha: string; owner: string; repo: string }): string {
  return template.replace(/\{(sha|owner|repo)\}/g, (_, key: "sha" | "owner" | "repo") =>
    encodeURIComponent(values[key]),
  );
}

export async function probeRollout(url: string, sha: string, timeoutMs: number): Promise<RolloutProbe> {
  try {
    const response = await request(url, {
      method: "GET",
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await readText(response.body, MAX_BODY);
    if (response.statusCode >= 500) return { ok: false, detail: `answered HTTP ${response.statusCode}`, url };
    if (response.statusCode < 200 || response.statusCode >= 300) {
      return { ok: null, detail: `answered HTTP ${response.statusCode}`, url };
    }
    // A deploy still rolling out reports the previous sha: wait, do not fail.
    return body.includes(sha)
      ? { ok: true, detail: null, url }
      : { ok: null, detail: "does not report the pushed commit yet", url };
  } catch (error) {
    const reason =
      error instanceof Error && error.name === "TimeoutError" ? `timed out after ${timeoutMs} ms` : "unreachable";
    return { ok: null, detail: reason, url };
  }
}

/**
 * The body as UTF-8 text, at most about `maxBytes` of it (a probe never reads an endless
 * answer). One streaming decoder for the whole body, so a character split between two
 * chunks is decoded whole, not as two replacement characters.
 */
export async function readText(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<string> {
  const decoder = new TextDecoder("utf-8");
  let text = "";
  let bytes = 0;
  for await (const chunk of body) {
    text += decoder.decode(chunk, { stream: true });
    bytes += chunk.byteLength;
    if (bytes > maxBytes) break;
  }
  return text + decoder.decode();
}
