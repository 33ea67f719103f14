// Proxy support for every request the armed loop makes (GitHub through Octokit's
// fetch, T3, doorbells, the rollout probe through undici): the runner's
// HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as @actions/github honoured them before
// the lean bundle dropped its HTTP client.
// Owns the choice of the process-wide dispatcher; must never log a proxy URL
// (it may carry credentials) and never change anything when no proxy is set.

import { EnvHttpProxyAgent, setGlobalDispatcher } from "undici";

const PROXY_VARIABLES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] as const;

/**
 * Routes every later request through the proxy the environment names, if any.
 * undici's global dispatcher is also the one Node's own fetch uses, so one call
 * covers Octokit and the undici clients alike. Returns whether a proxy was set.
 */
export function useProxyFromEnvironment(env: NodeJS.ProcessEnv): boolean {
  if (!PROXY_VARIABLES.some((name) => (env[name] ?? "") !== "")) return false;
  setGlobalDispatcher(
    new EnvHttpProxyAgent({
      httpProxy: env.HTTP_PROXY ?? env.http_proxy,
      httpsProxy: env.HTTPS_PROXY ?? env.https_proxy,
      noProxy: env.NO_PROXY ?? env.no_proxy,
    }),
  );
  return true;
}
