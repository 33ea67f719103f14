// GitHub's real GraphQL schema, built once per process from the IDL that
// @octokit/graphql-schema publishes. The IDL repeats two enterprise fields
// verbatim, which graphql-js's SDL check rejects, so it is built with
// `assumeValidSDL` (the schema itself then validates clean).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildSchema, type GraphQLSchema } from "graphql";

let cached: GraphQLSchema | undefined;

export function githubSchema(): GraphQLSchema {
  if (!cached) {
    const idl = new URL("./schema.graphql", import.meta.resolve("@octokit/graphql-schema"));
    cached = buildSchema(readFileSync(fileURLToPath(idl), "utf8"), { assumeValidSDL: true });
  }
  return cached;
}
