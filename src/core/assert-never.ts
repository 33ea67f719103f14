// The one exhaustiveness check: a `switch` over a closed union ends in
// `return assertNever(x)`, so adding a member without handling it fails to
// compile. At run time it only throws if data bypassed the types (a value
// decoded without validation); it never returns and never logs.

export function assertNever(value: never): never {
  throw new Error(`unhandled value: ${JSON.stringify(value)}`);
}
