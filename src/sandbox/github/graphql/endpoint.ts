// `POST /graphql` in two steps the server interleaves with rate limiting:
// `prepare` parses, validates against GitHub's real schema and applies GitHub's
// pagination rules and cost formula (so a query GitHub rejects fails here with
// GitHub's `{errors: [...]}`); `execute` runs it over the store's object graph.
// Any field without a resolver answers an error naming it, never a guess.

import {
  execute,
  GraphQLError,
  OperationTypeNode,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFieldResolver,
  type OperationDefinitionNode,
} from "graphql";
import { operationOf, queryCost, type QueryCost } from "./cost.js";
import { queryRoot, type GraphQLContext } from "./nodes.js";
import { githubSchema } from "./schema.js";

export type Prepared =
  | { kind: "rejected"; status: number; body: unknown }
  | {
      kind: "ready";
      document: DocumentNode;
      operation: OperationDefinitionNode;
      variables: Record<string, unknown>;
      cost: QueryCost;
      mutation: boolean;
    };

interface GitHubGraphQLError {
  type?: string;
  path?: readonly (string | number)[];
  locations?: readonly { line: number; column: number }[];
  message: string;
}

/** GitHub's error entries carry `type` at the top level (NOT_FOUND, RATE_LIMITED, ...). */
function formatError(error: GraphQLError): GitHubGraphQLError {
  const type = error.extensions["type"];
  return {
    ...(typeof type === "string" ? { type } : {}),
    ...(error.path ? { path: error.path } : {}),
    ...(error.locations ? { locations: error.locations } : {}),
    message: error.message,
  };
}

const rejected = (errors: readonly GraphQLError[]): Prepared => ({
  kind: "rejected",
  status: 200,
  body: { errors: errors.map(formatError) },
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function prepare(body: unknown): Prepared {
  if (!isRecord(body) || typeof body["query"] !== "string") {
    return {
      kind: "rejected",
      status: 400,
      body: {
        message: "A query attribute must be specified and must be a string.",
        documentation_url: "https://docs.github.com/graphql",
      },
    };
  }
  const variables = isRecord(body["variables"]) ? body["variables"] : {};
  const operationName = typeof body["operationName"] === "string" ? body["operationName"] : null;
  let document: DocumentNode;
  try {
    document = parse(body["query"]);
  } catch (error) {
    return rejected([error instanceof GraphQLError ? error : new GraphQLError(String(error))]);
  }
  const schema = githubSchema();
  const invalid = validate(schema, document);
  if (invalid.length > 0) return rejected(invalid);
  const operation = operationOf(document, operationName);
  if (!operation) return rejected([new GraphQLError("An operation name is required when sending several operations.")]);
  const cost = queryCost(schema, document, operation, variables);
  if (cost.errors.length > 0) return rejected(cost.errors);
  return {
    kind: "ready",
    document,
    operation,
    variables,
    cost,
    mutation: operation.operation === OperationTypeNode.MUTATION,
  };
}

const fieldResolver: GraphQLFieldResolver<unknown, GraphQLContext> = (source, args, context, info) => {
  if (typeof source === "object" && source !== null && info.fieldName in source) {
    const value: unknown = (source as Record<string, unknown>)[info.fieldName];
    return typeof value === "function" ? (value as (a: unknown, c: unknown) => unknown)(args, context) : value;
  }
  throw new GraphQLError(`The GitHub emulator does not serve ${info.parentType.name}.${info.fieldName}.`, {
    extensions: { type: "NOT_SERVED" },
  });
};

export async function run(prepared: Extract<Prepared, { kind: "ready" }>, context: GraphQLContext): Promise<unknown> {
  const result: ExecutionResult = await execute({
    schema: githubSchema(),
    document: prepared.document,
    operationName: prepared.operation.name?.value ?? null,
    variableValues: prepared.variables,
    rootValue: prepared.mutation ? {} : queryRoot(context),
    contextValue: context,
    fieldResolver,
  });
  return {
    data: result.data ?? null,
    ...(result.errors && result.errors.length > 0 ? { errors: result.errors.map(formatError) } : {}),
  };
}
