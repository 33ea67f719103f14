// Request bodies, parsed once at the edge with zod; a body GitHub would refuse
// answers 422 "Invalid request." as GitHub does (a body that is not JSON was
// already refused with 400 by the server).

import type { z } from "zod";
import { invalid } from "../http-error.js";

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => {
    const field = issue.path.join("/");
    return field === "" ? issue.message : `For 'properties/${field}', ${issue.message}`;
  });
  throw invalid(`Invalid request.\n\n${details.join("\n")}`);
}
