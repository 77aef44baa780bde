"""The GitHub Action's runner (`action.yml` calls `python -m ioncli.github_action`).

It runs one `ion` command, then does what a CI user would otherwise script by hand:

1. the command's text goes to the log; its Markdown, JSON and annotations come from the same
   run through `ION_OUTPUTS` (no second computation);
2. the Markdown is appended to the job summary (`$GITHUB_STEP_SUMMARY`);
3. optionally one sticky pull-request comment per command: found by a hidden marker
   (`<!-- ion-action:ID -->`) among the PR's comments and updated, else created, through the
   GitHub REST API with the workflow token. A command that printed nothing (cost-report
   `--quiet-unless-increase` with no increase) posts nothing;
4. step outputs (`$GITHUB_OUTPUT`): `exit-code`, `json`, `markdown`, `comment-url`;
5. it exits with ion's exit code, so a gate (exit 5) fails the step.

Standard library only (urllib), so it runs before anything else is installed and is tested
against a fake GitHub API on 127.0.0.1. Settings come from the environment (what the
composite action passes in): ION_ACTION_COMMAND, ION_ACTION_ID, ION_ACTION_COMMENT,
ION_ACTION_JSON, ION_ACTION_MARKDOWN, GITHUB_TOKEN, GITHUB_API_URL, GITHUB_REPOSITORY,
GITHUB_EVENT_PATH, ION_ACTION_PR (overrides the event's PR number).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COMMENT_LIMIT = 65_536  # GitHub's limit for a comment body, in characters
MARKER = "<!-- ion-action:{id} -->"
_TRUE = {"1", "true", "yes", "on"}


class ActionError(Exception):
    """A problem with the action's own inputs or the GitHub API (exit 1, one line)."""


@dataclass(frozen=True)
class Inputs:
    command: list[str]
    comment_id: str
    comment: bool
    json_path: Path
    markdown_path: Path
    token: str
    api_url: str
    repository: str
    pr_number: int | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Inputs:
        command = shlex.split(env.get("ION_ACTION_COMMAND", ""))
        if command[:1] == ["ion"]:
            command = command[1:]
        if not command:
            raise ActionError("input 'command' is empty: give an ion command, like 'dashboard'")
        temp = Path(env.get("RUNNER_TEMP") or ".")
        ident = env.get("ION_ACTION_ID") or _default_id(command)
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", ident):
            raise ActionError(f"input 'id' {ident!r}: use letters, digits, '.', '_' or '-'")
        return cls(
            command=command,
            comment_id=ident,
            comment=env.get("ION_ACTION_COMMENT", "false").strip().lower() in _TRUE,
            json_path=Path(env.get("ION_ACTION_JSON") or temp / f"ion-{ident}.json"),
            markdown_path=Path(env.get("ION_ACTION_MARKDOWN") or temp / f"ion-{ident}.md"),
            token=env.get("GITHUB_TOKEN", ""),
            api_url=(env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
            repository=env.get("GITHUB_REPOSITORY", ""),
            pr_number=_pr_number(env),
        )


def _default_id(command: list[str]) -> str:
    """The subcommand and its positional words: `dashboard-all`, `tune-alerts`."""
    words = []
    for word in command:
        if word.startswith("-"):
            break
        words.append(re.sub(r"[^A-Za-z0-9_.-]", "-", word))
    return "-".join(words) or "ion"


def _pr_number(env: Mapping[str, str]) -> int | None:
    given = env.get("ION_ACTION_PR", "").strip()
    if given:
        if not given.isdigit():
            raise ActionError(f"input 'pr-number' {given!r} is not a number")
        return int(given)
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    pr = event.get("pull_request") if isinstance(event, dict) else None
    number = pr.get("number") if isinstance(pr, dict) else None
    return number if isinstance(number, int) else None


def run_ion(inputs: Inputs, env: Mapping[str, str]) -> int:
    """Run the command with its text in the log and the other formats written on the side."""
    for path in (inputs.json_path, inputs.markdown_path):
        path.unlink(missing_ok=True)  # a stale file must not pass for this run's output
    outputs = f"json={inputs.json_path},markdown={inputs.markdown_path},github=-"
    child_env = {**env, "ION_OUTPUTS": outputs}
    child_env.pop("GITHUB_STEP_SUMMARY", None)  # the action appends once, with a marker
    argv = [sys.executable, "-m", "ioncli", *inputs.command]
    return subprocess.run(argv, env=child_env, check=False).returncode


def fit(markdown: str, limit: int) -> str:
    if len(markdown) <= limit:
        return markdown
    cut = markdown.rfind("\n", 0, limit - 200)
    cut = cut if cut > 0 else limit - 200
    return markdown[:cut] + "\n\n> **Truncated** to fit a GitHub comment; see the job summary.\n"


class GitHub:
    """The few REST calls a sticky comment needs, with the workflow token."""

    def __init__(self, api_url: str, repository: str, token: str) -> None:
        if not repository or "/" not in repository:
            raise ActionError("GITHUB_REPOSITORY is not set (owner/name)")
        if not token:
            raise ActionError("no token: pass github-token (the default is the workflow token)")
        self.base = f"{api_url}/repos/{repository}"
        self.token = token

    def _call(self, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", "ion-action")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                link = response.headers.get("Link", "")
        except urllib.error.HTTPError as exc:
            hint = " (does the workflow grant pull-requests: write?)" if exc.code == 403 else ""
            raise ActionError(f"GitHub API {method} {url}: HTTP {exc.code}{hint}") from None
        except urllib.error.URLError as exc:
            raise ActionError(f"GitHub API {method} {url}: {exc.reason}") from None
        return (json.loads(raw) if raw else None), link

    def find_comment(self, pr: int, marker: str) -> dict[str, Any] | None:
        url: str | None = f"{self.base}/issues/{pr}/comments?per_page=100"
        while url:
            page, link = self._call("GET", url)
            for comment in page or []:
                if marker in str(comment.get("body", "")):
                    return dict(comment)
            match = re.search(r'<([^>]+)>;\s*rel="next"', link)
            url = match.group(1) if match else None
        return None

    def upsert_comment(self, pr: int, marker: str, body: str) -> tuple[str, str]:
        """Update the comment holding `marker`, else create one: (action, html_url)."""
        existing = self.find_comment(pr, marker)
        if existing is not None:
            done, _ = self._call(
                "PATCH", f"{self.base}/issues/comments/{existing['id']}", {"body": body}
            )
            return "updated", str(done.get("html_url", ""))
        done, _ = self._call("POST", f"{self.base}/issues/{pr}/comments", {"body": body})
        return "created", str(done.get("html_url", ""))


def append_summary(env: Mapping[str, str], markdown: str) -> None:
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    path = Path(target)
    before = path.stat().st_size if path.exists() else 0
    with path.open("a", encoding="utf-8") as fh:
        if before:
            fh.write("\n---\n\n")
        fh.write(markdown if markdown.endswith("\n") else markdown + "\n")


def set_outputs(env: Mapping[str, str], values: Mapping[str, str]) -> None:
    target = env.get("GITHUB_OUTPUT")
    if not target:
        return
    with Path(target).open("a", encoding="utf-8") as fh:
        for key, value in values.items():
            fh.write(f"{key}={value}\n")


def main(env: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ) if env is None else dict(env)
    try:
        inputs = Inputs.from_env(env)
        code = run_ion(inputs, env)
        markdown = ""
        if inputs.markdown_path.is_file():
            markdown = inputs.markdown_path.read_text(encoding="utf-8")
        url = ""
        if markdown.strip():
            append_summary(env, markdown)
            if inputs.comment and inputs.pr_number is not None:
                marker = MARKER.format(id=inputs.comment_id)
                body = fit(f"{marker}\n{markdown}", COMMENT_LIMIT)
                api = GitHub(inputs.api_url, inputs.repository, inputs.token)
                action, url = api.upsert_comment(inputs.pr_number, marker, body)
                print(f"ion-action: {action} comment {url}", file=sys.stderr)
            elif inputs.comment:
                print("ion-action: not a pull request: no comment", file=sys.stderr)
        else:
            print("ion-action: the command printed no report: nothing posted", file=sys.stderr)
        set_outputs(
            env,
            {
                "exit-code": str(code),
                "json": str(inputs.json_path) if inputs.json_path.is_file() else "",
                "markdown": str(inputs.markdown_path) if markdown.strip() else "",
                "comment-url": url,
            },
        )
    except ActionError as exc:
        print(f"::error title=ion action::{exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
