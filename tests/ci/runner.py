"""Just enough of a GitHub Actions runner to run `examples/github/ion.yml` in a shell.

It runs a job's `run:` steps with bash and the action's composite steps, evaluates the
`${{ }}` expressions the workflow uses (contexts, `||`, `&&`, `==`, `!=`, `success()`,
`failure()`), and passes step outputs along through `$GITHUB_OUTPUT`. Marketplace actions
(checkout, setup-python) and pip installs are skipped: the test prepares the checkout and
runs the ion installed in this environment. An expression it cannot read fails the test,
so the workflow stays within what is tested.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_REF = re.compile(r"\b(inputs|steps|github|vars|env|runner)((?:\.[A-Za-z0-9_-]+)+)")
SKIPPED_USES = ("actions/checkout@", "actions/setup-python@")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return dict(data)


def evaluate(expr: str, ctx: dict[str, Any]) -> Any:
    def lookup(match: re.Match[str]) -> str:
        value: Any = ctx.get(match.group(1), {})
        for part in match.group(2).strip(".").split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        return repr(value)

    text = _REF.sub(lookup, expr)
    text = text.replace("success()", "True").replace("failure()", "True")
    text = text.replace("||", " or ").replace("&&", " and ")
    if re.search(r"[A-Za-z_]\w*\(", text):
        raise AssertionError(f"expression the test runner does not know: {expr!r}")
    # The expressions come from the repository's own workflow file, reduced to Python above.
    return eval(text, {"__builtins__": {}}, {})


def substitute(text: Any, ctx: dict[str, Any]) -> str:
    return _EXPR.sub(lambda m: str(evaluate(m.group(1), ctx)), str(text))


@dataclass
class Step:
    name: str
    code: int
    outputs: dict[str, str] = field(default_factory=dict)


def _outputs(path: Path) -> dict[str, str]:
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            out[key] = value
    return out


def _bash(script: str, cwd: Path, env: dict[str, str], outputs: Path) -> int:
    outputs.write_text("")
    full = {**env, "GITHUB_OUTPUT": str(outputs)}
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=cwd, env=full, check=False, timeout=300
    ).returncode


def run_job(
    workflow: dict[str, Any], job: str, cwd: Path, base: dict[str, str], ctx: dict[str, Any]
) -> list[Step]:
    """Run one job's steps like the runner would; returns each step that ran."""
    ctx = {**ctx, "steps": {}}
    env = dict(base)
    for key, value in (workflow.get("env") or {}).items():
        env[key] = substitute(value, ctx)
    ctx["env"] = env
    spec = workflow["jobs"][job]
    assert evaluate(str(spec.get("if", "True")).strip("${} "), ctx), f"job {job} would not run"
    results: list[Step] = []
    temp = Path(env["RUNNER_TEMP"])
    for number, step in enumerate(spec["steps"]):
        name = step.get("name") or step.get("uses") or f"step {number}"
        if "if" in step and not evaluate(str(step["if"]), ctx):
            continue
        uses = step.get("uses", "")
        if uses.startswith(SKIPPED_USES) or name == "Install ion":
            continue
        out_file = temp / f"out-{job}-{number}"
        if uses == "./":
            code, outputs = _composite(step.get("with") or {}, cwd, env, ctx, out_file)
        else:
            code = _bash(substitute(step["run"], ctx), cwd, env, out_file)
            outputs = _outputs(out_file)
        if "id" in step:
            ctx["steps"][step["id"]] = {"outputs": outputs}
        results.append(Step(name, code, outputs))
    return results


def _composite(
    given: dict[str, Any], cwd: Path, env: dict[str, str], ctx: dict[str, Any], out_file: Path
) -> tuple[int, dict[str, str]]:
    action = load(ROOT / "action.yml")
    inputs = {}
    for key, spec in action["inputs"].items():
        inputs[key] = substitute(spec.get("default", ""), ctx)
    for key, value in given.items():
        assert key in action["inputs"], f"the workflow passes an input the action lacks: {key}"
        inputs[key] = substitute(value, ctx)
    inner = {**ctx, "inputs": inputs, "steps": {}}
    code = 0
    for number, step in enumerate(action["runs"]["steps"]):
        if step.get("uses", "").startswith(SKIPPED_USES) or step.get("name") == "Install ion":
            continue
        step_env = {**env, **{k: substitute(v, inner) for k, v in (step.get("env") or {}).items()}}
        where = cwd / substitute(step.get("working-directory", "."), inner)
        path = out_file.with_name(f"{out_file.name}-{number}")
        code = _bash(substitute(step["run"], inner), where, step_env, path)
        if "id" in step:
            inner["steps"][step["id"]] = {"outputs": _outputs(path)}
        if code:
            break
    outputs = {k: substitute(v["value"], inner) for k, v in action["outputs"].items()}
    return code, outputs


def base_env(tmp: Path, api_url: str, event: Path, repository: str = "acme/ion") -> dict[str, str]:
    """What the runner sets for every step (paths in `tmp`, the fake API's URL)."""
    temp = tmp / "runner-temp"
    temp.mkdir(exist_ok=True)
    bin_dir = str(Path(os.sys.executable).parent)  # type: ignore[attr-defined]
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ION_"))}
    return {
        **keep,
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
        "NO_COLOR": "1",
        "COLUMNS": "100",
        "RUNNER_TEMP": str(temp),
        "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
        "GITHUB_API_URL": api_url,
        "GITHUB_REPOSITORY": repository,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": "0123abc",
        "GIT_CONFIG_GLOBAL": str(tmp / "gitconfig"),
    }
