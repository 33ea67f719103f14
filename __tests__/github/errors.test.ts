// githubStatus reads GitHub's answer off Octokit's RequestError and nothing
// else: a plain Error that carries a `status` is not a GitHub answer.

import { describe, expect, it } from "vitest";
import { githubStatus, RequestError } from "../../src/github/errors.js";

const request = { method: "GET" as const, url: "https://api.github.test/x", headers: {} };

describe("githubStatus", () => {
  it("is the status of GitHub's answer", () => {
    expect(githubStatus(new RequestError("Not Found", 404, { request }))).toBe(404);
  });

  it.each([
    ["a plain Error carrying a status", Object.assign(new Error("Not Found"), { status: 404 })],
    ["an object carrying a status", { status: 404 }],
    ["a string", "404"],
    ["nothing", undefined],
  ])("is null for %s", (_, error) => {
    expect(githubStatus(error)).toBeNull();
  });
});
