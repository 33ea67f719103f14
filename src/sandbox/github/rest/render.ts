// Store records as GitHub's REST JSON: every field name, type and nesting
// typed against @octokit/openapi-types, so a drift from the published API is a
// compile error (and the contract test catches what types cannot). Owns
// presentation only: never filters, sorts or mutates.

import { createHash } from "node:crypto";
import type { components } from "@octokit/openapi-types";
import type {
  CheckRun,
  Commit,
  CommitStatus,
  Deployment,
  DeploymentStatus,
  GitHubStore,
  Issue,
  IssueComment,
  IssueEvent,
  Label,
  Repo,
  Role,
  WorkflowRun,
} from "../store.js";

type Schemas = components["schemas"];
const WEB = "https://github.com";

const LEGACY_PERMISSION: Record<Role, "admin" | "write" | "read" | "none"> = {
  admin: "admin",
  maintain: "write",
  write: "write",
  triage: "read",
  read: "read",
  none: "none",
};

export class Renderer {
  constructor(
    private readonly store: GitHubStore,
    private readonly api: string,
  ) {}

  user(login: string): Schemas["simple-user"] {
    const user = this.store.ensureUser(login);
    const url = `${this.api}/users/${encodeURIComponent(user.login)}`;
    return {
      login: user.login,
      id: user.id,
      node_id: user.nodeId,
      avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
      gravatar_id: "",
      url,
      html_url: user.type === "Bot" ? `${WEB}/apps/${user.login.replace(/\[bot\]$/, "")}` : `${WEB}/${user.login}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: user.type,
      user_view_type: "public",
      site_admin: false,
    };
  }

  repository(repo: Repo): Schemas["minimal-repository"] {
    const url = this.repoUrl(repo);
    return {
      id: repo.id,
      node_id: repo.nodeId,
      name: repo.name,
      full_name: repo.fullName,
      owner: this.user(repo.owner),
      private: repo.private,
      html_url: `${WEB}/${repo.fullName}`,
      description: null,
      fork: false,
      url,
      archive_url: `${url}/{archive_format}{/ref}`,
      assignees_url: `${url}/assignees{/user}`,
      blobs_url: `${url}/git/blobs{/sha}`,
      branches_url: `${url}/branches{/branch}`,
      collaborators_url: `${url}/collaborators{/collaborator}`,
      comments_url: `${url}/comments{/number}`,
      commits_url: `${url}/commits{/sha}`,
      compare_url: `${url}/compare/{base}...{head}`,
      contents_url: `${url}/contents/{+path}`,
      contributors_url: `${url}/contributors`,
      deployments_url: `${url}/deployments`,
      downloads_url: `${url}/downloads`,
      events_url: `${url}/events`,
      forks_url: `${url}/forks`,
      git_commits_url: `${url}/git/commits{/sha}`,
      git_refs_url: `${url}/git/refs{/sha}`,
      git_tags_url: `${url}/git/tags{/sha}`,
      issue_comment_url: `${url}/issues/comments{/number}`,
      issue_events_url: `${url}/issues/events{/number}`,
      issues_url: `${url}/issues{/number}`,
      keys_url: `${url}/keys{/key_id}`,
      labels_url: `${url}/labels{/name}`,
      languages_url: `${url}/languages`,
      merges_url: `${url}/merges`,
      milestones_url: `${url}/milestones{/number}`,
      notifications_url: `${url}/notifications{?since,all,participating}`,
      pulls_url: `${url}/pulls{/number}`,
      releases_url: `${url}/releases{/id}`,
      stargazers_url: `${url}/stargazers`,
      statuses_url: `${url}/statuses/{sha}`,
      subscribers_url: `${url}/subscribers`,
      subscription_url: `${url}/subscription`,
      tags_url: `${url}/tags`,
      teams_url: `${url}/teams`,
      trees_url: `${url}/git/trees{/sha}`,
      hooks_url: `${url}/hooks`,
      default_branch: repo.defaultBranch,
      visibility: repo.private ? "private" : "public",
      created_at: repo.createdAt,
    };
  }

  label(repo: Repo, name: string): Schemas["label"] {
    const label: Label = this.store.ensureLabel(repo.fullName, name);
    return {
      id: label.id,
      node_id: label.nodeId,
      url: `${this.repoUrl(repo)}/labels/${encodeURIComponent(label.name)}`,
      name: label.name,
      description: label.description,
      color: label.color,
      default: false,
    };
  }

  issue(repo: Repo, issue: Issue): Schemas["issue"] {
    const url = `${this.repoUrl(repo)}/issues/${issue.number}`;
    const blocking = this.blockingCount(repo, issue);
    return {
      id: issue.id,
      node_id: issue.nodeId,
      url,
      repository_url: this.repoUrl(repo),
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: `${WEB}/${repo.fullName}/issues/${issue.number}`,
      timeline_url: `${url}/timeline`,
      number: issue.number,
      state: issue.state,
      state_reason: issue.stateReason,
      title: issue.title,
      body: issue.body,
      user: this.user(issue.author),
      labels: issue.labels.map((name) => this.label(repo, name)),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments: issue.comments.length,
      closed_at: issue.closedAt,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_by: issue.closedBy === null ? null : this.user(issue.closedBy),
      author_association: this.store.associationOf(repo.fullName, issue.author),
      issue_dependencies_summary: {
        blocked_by: issue.blockedBy.filter((ref) => this.isOpen(ref.repo, ref.number)).length,
        total_blocked_by: issue.blockedBy.length,
        blocking: blocking.open,
        total_blocking: blocking.total,
      },
    };
  }

  comment(repo: Repo, issue: Issue, comment: IssueComment): Schemas["issue-comment"] {
    return this.commentFields(repo, issue, comment);
  }

  private commentFields(repo: Repo, issue: Issue, comment: IssueComment) {
    return {
      id: comment.id,
      node_id: comment.nodeId,
      url: `${this.repoUrl(repo)}/issues/comments/${comment.id}`,
      html_url: `${WEB}/${repo.fullName}/issues/${issue.number}#issuecomment-${comment.id}`,
      issue_url: `${this.repoUrl(repo)}/issues/${issue.number}`,
      body: comment.body,
      user: this.user(comment.author),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      author_association: this.store.associationOf(repo.fullName, comment.author),
      performed_via_github_app: null,
    };
  }

  /**
   * An entry of `/issues/{n}/events` and of the timeline. `closed`, `reopened`
   * and `referenced` take the timeline's state-change shape: the published
   * `issue-event-for-issue` union has no variant for them, yet GitHub sends them.
   */
  event(
    repo: Repo,
    event: IssueEvent,
  ):
    | Schemas["labeled-issue-event"]
    | Schemas["unlabeled-issue-event"]
    | Schemas["renamed-issue-event"]
    | Schemas["state-change-issue-event"] {
    const base = {
      id: event.id,
      node_id: event.nodeId,
      url: `${this.repoUrl(repo)}/issues/events/${event.id}`,
      actor: this.user(event.actor),
      event: event.event,
      created_at: event.createdAt,
      performed_via_github_app: null,
    };
    switch (event.event) {
      case "labeled":
      case "unlabeled": {
        const label = this.store.ensureLabel(repo.fullName, event.label);
        return { ...base, commit_id: null, commit_url: null, label: { name: label.name, color: label.color } };
      }
      case "referenced":
        return { ...base, ...this.commitLink(event.commitRepo, event.commitId) };
      case "closed":
        return {
          ...base,
          ...(event.commitId === null || event.commitRepo === null
            ? { commit_id: null, commit_url: null }
            : this.commitLink(event.commitRepo, event.commitId)),
          state_reason: event.stateReason,
        };
      case "reopened":
        return { ...base, commit_id: null, commit_url: null, state_reason: null };
      case "renamed":
        return { ...base, commit_id: null, commit_url: null, rename: { from: event.from, to: event.to } };
    }
  }

  /** A comment as the timeline lists it (`event: "commented"`). */
  commented(repo: Repo, issue: Issue, comment: IssueComment): Schemas["timeline-comment-event"] {
    const user = this.user(comment.author);
    return {
      ...this.commentFields(repo, issue, comment),
      event: "commented",
      actor: user,
      user,
      author_association: this.store.associationOf(repo.fullName, comment.author),
    };
  }

  commit(repo: Repo, commit: Commit): Schemas["commit"] {
    const url = `${this.repoUrl(repo)}/commits/${commit.sha}`;
    const author = this.user(commit.author);
    const person = {
      name: commit.author,
      email: `${author.id}+${commit.author}@users.noreply.github.com`,
      date: commit.date,
    };
    const tree = createHash("sha1").update(`tree:${commit.sha}`).digest("hex");
    return {
      url,
      sha: commit.sha,
      node_id: Buffer.from(`06:Commit${repo.id}:${commit.sha}`).toString("base64"),
      html_url: `${WEB}/${repo.fullName}/commit/${commit.sha}`,
      comments_url: `${url}/comments`,
      commit: {
        url: `${this.repoUrl(repo)}/git/commits/${commit.sha}`,
        author: person,
        committer: person,
        message: commit.message,
        comment_count: 0,
        tree: { sha: tree, url: `${this.repoUrl(repo)}/git/trees/${tree}` },
        verification: { verified: false, reason: "unsigned", payload: null, signature: null, verified_at: null },
      },
      author,
      committer: author,
      parents: commit.parents.map((sha) => ({
        sha,
        url: `${this.repoUrl(repo)}/commits/${sha}`,
        html_url: `${WEB}/${repo.fullName}/commit/${sha}`,
      })),
    };
  }

  checkRun(repo: Repo, run: CheckRun): Schemas["check-run"] {
    const html = `${WEB}/${repo.fullName}/runs/${run.id}`;
    return {
      id: run.id,
      head_sha: run.headSha,
      node_id: run.nodeId,
      external_id: run.externalId,
      url: `${this.repoUrl(repo)}/check-runs/${run.id}`,
      html_url:
        run.workflowRunId === null ? html : `${WEB}/${repo.fullName}/actions/runs/${run.workflowRunId}/job/${run.id}`,
      details_url: run.detailsUrl ?? html,
      status: run.status,
      conclusion: run.conclusion === "stale" ? null : run.conclusion,
      started_at: run.startedAt,
      completed_at: run.completedAt,
      output: {
        title: null,
        summary: null,
        text: null,
        annotations_count: 0,
        annotations_url: `${this.repoUrl(repo)}/check-runs/${run.id}/annotations`,
      },
      name: run.name,
      check_suite: { id: run.checkSuiteId },
      app: {
        id: run.app.id,
        slug: run.app.slug,
        node_id: Buffer.from(`03:App${run.app.id}`).toString("base64"),
        owner: this.user(repo.owner),
        name: run.app.name,
        description: null,
        external_url: `${WEB}/apps/${run.app.slug}`,
        html_url: `${WEB}/apps/${run.app.slug}`,
        created_at: repo.createdAt,
        updated_at: repo.createdAt,
        permissions: { checks: "write" },
        events: [],
      },
      pull_requests: [],
    };
  }

  status(repo: Repo, status: CommitStatus): Schemas["simple-commit-status"] {
    return {
      id: status.id,
      node_id: status.nodeId,
      state: status.state,
      context: status.context,
      description: status.description,
      target_url: status.targetUrl,
      avatar_url: this.user(status.creator).avatar_url,
      url: `${this.repoUrl(repo)}/statuses/${status.sha}`,
      created_at: status.createdAt,
      updated_at: status.updatedAt,
    };
  }

  combinedStatus(repo: Repo, sha: string, latest: CommitStatus[]): Schemas["combined-commit-status"] {
    const states = latest.map((s) => s.state);
    const state = states.some((s) => s === "error" || s === "failure")
      ? "failure"
      : states.length > 0 && states.every((s) => s === "success")
        ? "success"
        : "pending";
    return {
      state,
      statuses: latest.map((s) => this.status(repo, s)),
      sha,
      total_count: latest.length,
      repository: this.repository(repo),
      commit_url: `${this.repoUrl(repo)}/commits/${sha}`,
      url: `${this.repoUrl(repo)}/commits/${sha}/status`,
    };
  }

  deployment(repo: Repo, deployment: Deployment): Schemas["deployment"] {
    const url = `${this.repoUrl(repo)}/deployments/${deployment.id}`;
    return {
      url,
      id: deployment.id,
      node_id: deployment.nodeId,
      sha: deployment.sha,
      ref: deployment.ref,
      task: deployment.task,
      payload: {},
      original_environment: deployment.environment,
      environment: deployment.environment,
      description: deployment.description,
      creator: this.user(deployment.creator),
      created_at: deployment.createdAt,
      updated_at: deployment.updatedAt,
      statuses_url: `${url}/statuses`,
      repository_url: this.repoUrl(repo),
      transient_environment: false,
      production_environment: false,
    };
  }

  deploymentStatus(repo: Repo, deployment: Deployment, status: DeploymentStatus): Schemas["deployment-status"] {
    const deploymentUrl = `${this.repoUrl(repo)}/deployments/${deployment.id}`;
    return {
      url: `${deploymentUrl}/statuses/${status.id}`,
      id: status.id,
      node_id: status.nodeId,
      state: status.state,
      creator: this.user(status.creator),
      description: status.description,
      environment: status.environment,
      target_url: status.targetUrl,
      created_at: status.createdAt,
      updated_at: status.updatedAt,
      deployment_url: deploymentUrl,
      repository_url: this.repoUrl(repo),
      environment_url: status.environmentUrl,
      log_url: status.logUrl,
    };
  }

  workflowRun(repo: Repo, run: WorkflowRun): Schemas["workflow-run"] {
    const url = `${this.repoUrl(repo)}/actions/runs/${run.id}`;
    const workflow = repo.workflows.find((w) => w.id === run.workflowId);
    const head = repo.commits.get(run.headSha);
    const repository = this.repository(repo);
    return {
      id: run.id,
      name: run.name,
      node_id: run.nodeId,
      check_suite_id: run.checkSuiteId,
      check_suite_node_id: Buffer.from(`10:CheckSuite${run.checkSuiteId}`).toString("base64"),
      head_branch: run.headBranch,
      head_sha: run.headSha,
      path: workflow?.path ?? "",
      display_title: run.displayTitle,
      run_number: run.runNumber,
      run_attempt: run.runAttempt,
      event: run.event,
      status: run.status,
      conclusion: run.conclusion,
      workflow_id: run.workflowId,
      url,
      html_url: `${WEB}/${repo.fullName}/actions/runs/${run.id}`,
      pull_requests: [],
      created_at: run.createdAt,
      updated_at: run.updatedAt,
      run_started_at: run.runStartedAt,
      actor: this.user(run.actor),
      triggering_actor: this.user(run.actor),
      jobs_url: `${url}/jobs`,
      logs_url: `${url}/logs`,
      check_suite_url: `${this.repoUrl(repo)}/check-suites/${run.checkSuiteId}`,
      artifacts_url: `${url}/artifacts`,
      cancel_url: `${url}/cancel`,
      rerun_url: `${url}/rerun`,
      previous_attempt_url: null,
      workflow_url: `${this.repoUrl(repo)}/actions/workflows/${run.workflowId}`,
      head_commit: head
        ? {
            id: head.sha,
            tree_id: createHash("sha1").update(`tree:${head.sha}`).digest("hex"),
            message: head.message,
            timestamp: head.date,
            author: { name: head.author, email: this.noreplyEmail(head.author) },
            committer: { name: head.author, email: this.noreplyEmail(head.author) },
          }
        : null,
      repository,
      head_repository: repository,
    };
  }

  permission(repo: Repo, login: string): Schemas["repository-collaborator-permission"] {
    const role = this.store.roleOf(repo.fullName, login);
    return {
      permission: LEGACY_PERMISSION[role],
      role_name: role,
      user: {
        ...this.user(login),
        permissions: {
          admin: role === "admin",
          maintain: role === "admin" || role === "maintain",
          push: role === "admin" || role === "maintain" || role === "write",
          triage: role !== "read" && role !== "none",
          pull: role !== "none",
        },
        role_name: role,
      },
    };
  }

  repoUrl(repo: Repo): string {
    return `${this.api}/repos/${repo.fullName}`;
  }

  /** GitHub's noreply address; the "[bot]" brackets are dropped so the address stays a valid email. */
  private noreplyEmail(login: string): string {
    const user = this.store.ensureUser(login);
    return `${user.id}+${user.login.replace(/\[bot\]$/, "-bot")}@users.noreply.github.com`;
  }

  private commitLink(commitRepo: string, sha: string): { commit_id: string; commit_url: string } {
    return { commit_id: sha, commit_url: `${this.api}/repos/${commitRepo}/commits/${sha}` };
  }

  private isOpen(fullName: string, number: number): boolean {
    const found = this.store.lookupIssue(fullName, number);
    return "issue" in found && found.issue.state === "open";
  }

  private blockingCount(repo: Repo, issue: Issue): { open: number; total: number } {
    const blocked = this.store.blocking(repo.fullName, issue.number);
    return { open: blocked.filter((ref) => this.isOpen(ref.repo, ref.number)).length, total: blocked.length };
  }
}
