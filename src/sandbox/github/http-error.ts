// GitHub's error replies: the status codes and JSON bodies real clients branch
// on (`message`, `documentation_url`, `status` as a string, `errors` for 422),
// including the rate-limit wording plugin-throttling matches on. Owns the
// wording; never decides when an error applies.

const DOCS = "https://docs.github.com/rest";

export interface ValidationDetail {
  resource: string;
  field: string;
  code: "missing" | "missing_field" | "invalid" | "already_exists" | "unprocessable" | "custom";
  message?: string;
}

export class GitHubHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: { errors?: ValidationDetail[]; url?: string; documentationUrl?: string } = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "GitHubHttpError";
  }

  body(): Record<string, unknown> {
    return {
      message: this.message,
      ...(this.extra.errors ? { errors: this.extra.errors } : {}),
      ...(this.extra.url ? { url: this.extra.url } : {}),
      documentation_url: this.extra.documentationUrl ?? DOCS,
      status: String(this.status),
    };
  }
}

export const notFound = (): GitHubHttpError => new GitHubHttpError(404, "Not Found");
export const gone = (): GitHubHttpError => new GitHubHttpError(410, "This issue was deleted");
export const badCredentials = (): GitHubHttpError => new GitHubHttpError(401, "Bad credentials");
export const requiresAuth = (): GitHubHttpError => new GitHubHttpError(401, "Requires authentication");
export const notAccessible = (): GitHubHttpError => new GitHubHttpError(403, "Resource not accessible by integration");
export const invalid = (message: string, errors?: ValidationDetail[]): GitHubHttpError =>
  new GitHubHttpError(422, message, errors ? { errors } : {});

const RATE_DOCS = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api";

export const primaryRateLimit = (userId: number, requestId: string, status: 403 | 429 = 403): GitHubHttpError =>
  new GitHubHttpError(
    status,
    `API rate limit exceeded for user ID ${userId}. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
    { documentationUrl: RATE_DOCS },
  );

/** plugin-throttling recognises a secondary limit by /\bsecondary rate\b/ in the message. */
export const secondaryRateLimit = (requestId: string, status: 403 | 429 = 403): GitHubHttpError =>
  new GitHubHttpError(
    status,
    `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
    { documentationUrl: `${RATE_DOCS}#about-secondary-rate-limits` },
  );

const STATUS_MESSAGES: Record<number, string> = {
  400: "Bad Request",
  401: "Bad credentials",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  410: "Gone",
  422: "Validation Failed",
  500: "Server Error",
  502: "Server Error",
  503: "Service Unavailable",
};

export const statusError = (status: number, message?: string): GitHubHttpError =>
  new GitHubHttpError(status, message ?? STATUS_MESSAGES[status] ?? "Error");
