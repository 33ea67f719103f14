// GitHub's GraphQL rate-limit arithmetic and pagination rules, applied to a
// validated document before it runs: every connection must ask for `first` or
// `last` (at most 100); the cost is the number of connection fetches (each
// nested one multiplied by its parents' page sizes) divided by 100, rounded,
// at least 1; `nodeCount` sums the nodes those pages could hold.
// Never executes anything.

import {
  getNamedType,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  valueFromAST,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";

export interface QueryCost {
  cost: number;
  nodeCount: number;
  /** Connection fetches before the division by 100. */
  requests: number;
  errors: GraphQLError[];
}

const MAX_PAGE = 100;

export function operationOf(
  document: DocumentNode,
  operationName?: string | null,
): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName) return operations.find((o) => o.name?.value === operationName);
  return operations.length === 1 ? operations[0] : undefined;
}

export function queryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): QueryCost {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const result: QueryCost = { cost: 0, nodeCount: 0, requests: 0, errors: [] };

  const walk = (set: SelectionSetNode, parent: GraphQLCompositeType, multiplier: number): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const cond = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (cond && isCompositeType(cond)) walk(selection.selectionSet, cond, multiplier);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const cond = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && cond && isCompositeType(cond)) walk(fragment.selectionSet, cond, multiplier);
        continue;
      }
      if (!selection.selectionSet || !(isObjectType(parent) || isInterfaceType(parent))) continue;
      const field = parent.getFields()[selection.name.value];
      if (!field) continue;
      const type = getNamedType(field.type);
      if (!isCompositeType(type)) continue;
      let childMultiplier = multiplier;
      if (type.name.endsWith("Connection") && field.args.some((a) => a.name === "first")) {
        const arg = (name: string): number | undefined => {
          const node = selection.arguments?.find((a) => a.name.value === name);
          const def = field.args.find((a) => a.name === name);
          if (!node || !def) return undefined;
          const value: unknown = valueFromAST(node.value, def.type, variables);
          return typeof value === "number" ? value : undefined;
        };
        const first = arg("first");
        const last = arg("last");
        const name = selection.name.value;
        const limit = first ?? last;
        if (limit === undefined) {
          result.errors.push(
            new GraphQLError(
              `You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`,
              {
                nodes: selection,
                extensions: { type: "MISSING_PAGINATION_BOUNDARIES" },
              },
            ),
          );
          continue;
        }
        const bound = first !== undefined ? "first" : "last";
        if (limit > MAX_PAGE || limit < 0) {
          result.errors.push(
            new GraphQLError(
              `Requesting ${limit} records on the \`${name}\` connection exceeds the \`${bound}\` limit of ${MAX_PAGE} records.`,
              { nodes: selection, extensions: { type: "EXCESSIVE_PAGINATION" } },
            ),
          );
          continue;
        }
        result.requests += multiplier;
        result.nodeCount += multiplier * limit;
        childMultiplier = multiplier * limit;
      }
      walk(selection.selectionSet, type, childMultiplier);
    }
  };

  const root = schema.getRootType(operation.operation);
  if (root) walk(operation.selectionSet, root, 1);
  result.cost = Math.max(1, Math.round(result.requests / 100));
  return result;
}
