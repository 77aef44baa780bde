"""The GitHub Action: its script against a fake GitHub API, and the example workflow in a shell."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ioncli import github_action
from tests.ci.fake_github import FakeGitHub
from tests.ci.runner import ROOT, base_env, load, run_job
from tests.dashboards.frames import frame, healthy_fleet

MARKER = "<!-- ion-action:dashboard -->"


@pytest.fixture
def fleet_file(tmp_path: Path) -> Path:
    path = tmp_path / "healthy.parquet"
    frame(healthy_fleet(), source="file").to_parquet(path)
    return path


def _env(tmp_path: Path, fake: FakeGitHub, command: str, **extra: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    env = base_env(tmp_path, fake.url, event)
    env.update(
        {
            "ION_ACTION_COMMAND": command,
            "ION_ACTION_COMMENT": "true",
            "GITHUB_TOKEN": "test-token",
            "GITHUB_OUTPUT": str(tmp_path / "outputs"),
            **extra,
        }
    )
    return env


def _outputs(tmp_path: Path) -> dict[str, str]:
    text = (tmp_path / "outputs").read_text()
    return dict(line.split("=", 1) for line in text.splitlines())


@pytest.mark.slow
def test_one_comment_created_then_updated(
    tmp_path: Path, fleet_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with FakeGitHub() as fake:
        for i in range(3):  # other people's comments: the action's lands on the second page
            fake.add(7, f"looks good {i}")
        env = _env(tmp_path, fake, f"ion dashboard --source file:{fleet_file}")
        assert github_action.main(env) == 0
        outputs = _outputs(tmp_path)
        assert outputs["exit-code"] == "0" and outputs["comment-url"].endswith("#104")
        assert json.loads(Path(outputs["json"]).read_text())["status"] == "ok"
        (tmp_path / "outputs").unlink()
        assert github_action.main(env) == 0
        mine = [c for c in fake.comments.values() if MARKER in c["body"]]
        assert len(mine) == 1 and len(fake.comments) == 4  # updated, not duplicated
        assert mine[0]["body"].startswith(MARKER + "\n🟢 **ion-mentoring is OK")
        methods = [m for m, _ in fake.calls]
        assert methods.count("POST") == 1 and methods.count("PATCH") == 1
        assert any("page=2" in path for _, path in fake.calls)  # followed the Link header
    summary = (tmp_path / "summary.md").read_text()
    assert summary.count("ion-mentoring is OK") == 2 and "\n---\n" in summary


@pytest.mark.slow
def test_a_gate_fails_the_step_after_reporting(tmp_path: Path) -> None:
    with FakeGitHub() as fake:
        # Two days: a budget is judged only from a day of data on.
        week = "--source sim:3 --since 2d --until 2026-03-01T00:00:00Z"
        env = _env(tmp_path, fake, f"cost-report {week} --budget 1")
        assert github_action.main(env) == 5
        assert _outputs(tmp_path)["exit-code"] == "5"
        assert len(fake.comments) == 1
        (body,) = [c["body"] for c in fake.comments.values()]
        assert body.startswith("<!-- ion-action:cost-report -->")


@pytest.mark.slow
def test_nothing_is_posted_when_the_command_has_nothing_to_say(
    tmp_path: Path, fleet_file: Path
) -> None:
    previous = tmp_path / "previous.json"
    subprocess.run(
        [sys.executable, "-m", "ioncli", "cost-report", "--source", f"file:{fleet_file}",
         "-f", "json", "-o", str(previous)],
        check=True, cwd=tmp_path,
    )  # fmt: skip
    with FakeGitHub() as fake:
        command = f"cost-report --source file:{fleet_file} --compare-to {previous} "
        env = _env(tmp_path, fake, command + "--quiet-unless-increase")
        assert github_action.main(env) == 0
        assert fake.calls == [] and fake.comments == {}
        outputs = _outputs(tmp_path)
        assert outputs["markdown"] == "" and outputs["json"] == ""
    assert not (tmp_path / "summary.md").exists()


@pytest.mark.slow
def test_api_and_input_problems_are_one_line(
    tmp_path: Path, fleet_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeGitHub(token="other") as fake:
        env = _env(tmp_path, fake, f"dashboard --source file:{fleet_file}")
        assert github_action.main(env) == 1
        assert "HTTP 401" in capsys.readouterr().err
        assert github_action.main({**env, "ION_ACTION_COMMAND": ""}) == 1
        assert "input 'command' is empty" in capsys.readouterr().err


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.slow
def test_the_example_workflow_gates_a_pull_request(tmp_path: Path) -> None:
    """Save main's cost on the data branch, then run the PR job twice and once more after
    the cost change is reverted: the summary, one comment per command, the exit codes."""
    workflow = load(ROOT / "examples" / "github" / "ion.yml")
    fleet = tmp_path / "fleet.parquet"
    ion = [sys.executable, "-m", "ioncli"]
    span = ["--since", "7d", "--until", "2026-03-01T00:00:00Z", "--step", "5m"]
    subprocess.run([*ion, "pull", "--source", "sim:3", *span, "-o", str(fleet)], check=True)
    (tmp_path / "gitconfig").write_text("[user]\n\tname = t\n\temail = t@example.com\n")
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12}}))
    with FakeGitHub() as fake:
        env = base_env(tmp_path, fake.url, event)
        subprocess.run(
            ["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True, env=env
        )
        subprocess.run(["git", "clone", "-q", str(origin), str(work)], check=True, env=env)
        subprocess.run(
            [*ion, "tune-alerts", "--source", f"file:{fleet}", "--write"], cwd=work, env=env,
            check=True, capture_output=True,
        )  # fmt: skip
        for args in (
            ["add", "-A"],
            ["commit", "-qm", "baselines"],
            ["push", "-q", "origin", "main"],
        ):
            subprocess.run(["git", *args], cwd=work, env=env, check=True)
        ctx = {"vars": {"ION_SOURCE": f"file:{fleet}"}, "github": {"token": "test-token"}}
        push = {**ctx, "github": {**ctx["github"], "event_name": "push", "action_path": str(ROOT)}}
        saved = run_job(workflow, "save", work, env, push)
        assert [s.code for s in saved] == [0]
        assert json.loads(_git(origin, "show", "ion-data:cost-report.json"))["service"]

        _git(work, "checkout", "-q", "main")
        (work / "ion.toml").write_text("[cost.service]\nmin_instances = 5\n")  # the PR's change
        env["GITHUB_TOKEN"] = "test-token"
        pr = {
            **ctx,
            "github": {**ctx["github"], "event_name": "pull_request", "action_path": str(ROOT)},
        }
        env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "summary.md")
        first = run_job(workflow, "gate", work, env, pr)
        by_name = {s.name.split(" (")[0]: s for s in first}
        dash = json.loads(Path(by_name["Health"].outputs["json"]).read_text())
        assert by_name["Health"].code == (5 if dash["status"] == "critical" else 0)
        assert by_name["Health"].outputs["exit-code"] == str(by_name["Health"].code)
        assert by_name["Alert drift"].code == 0
        assert by_name["Cost change against main"].code == 0
        summary = (tmp_path / "summary.md").read_text()
        assert "No alert drift" in summary and "Change since the previous report" in summary
        assert summary.count("\n---\n") == 2  # three reports, kept apart
        markers = sorted(c["body"].splitlines()[0] for c in fake.comments.values())
        assert markers == [
            "<!-- ion-action:cost-report -->",
            "<!-- ion-action:dashboard-all -->",
            "<!-- ion-action:tune-alerts -->",
        ]

        second = run_job(workflow, "gate", work, env, pr)
        assert [s.code for s in second] == [s.code for s in first]
        assert len(fake.comments) == 3  # updated in place
        assert [m for m, _ in fake.calls].count("PATCH") == 3

        (work / "ion.toml").unlink()  # the change is dropped: the cost is main's again
        third = run_job(workflow, "gate", work, env, pr)
        cost = next(s for s in third if s.name.startswith("Cost change"))
        assert cost.code == 0 and cost.outputs["markdown"] == ""
        assert [m for m, _ in fake.calls].count("POST") == 3  # nothing new was posted
