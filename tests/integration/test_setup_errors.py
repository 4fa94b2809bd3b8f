"""The set-up behind `make run` and `make test` fails with one clear line, not a traceback."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from scripts.layout import ROOT


def real_python310() -> Path:
    """The interpreter the project venv was made from."""
    home = (ROOT / ".venv" / "pyvenv.cfg").read_text().split("home = ", 1)[1].splitlines()[0]
    return Path(home.strip()) / "python3.10"


def copy_of_setup(tmp_path: Path, lock_text: str | None = None) -> Path:
    """A bare project holding only the set-up script and the lock files."""
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    for lock in ("requirements.lock", "requirements-model.lock"):
        shutil.copy(ROOT / lock, tmp_path / lock)
    if lock_text is not None:
        (tmp_path / "requirements.lock").write_text(lock_text)
    return tmp_path


def run_setup(project: Path, path: str) -> subprocess.CompletedProcess:
    env = {"PATH": path, "HOME": str(project), "LANG": "C.UTF-8"}
    return subprocess.run(
        ["bash", "scripts/setup.sh"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_missing_python310_is_one_line_saying_how_to_fix_it(tmp_path):
    project = copy_of_setup(tmp_path)
    result = run_setup(project, "/usr/bin:/bin")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "make: python3.10 not found: Rasa 3.6 needs Python 3.10 (install it, e.g. 'pyenv install "
        "3.10', or put python3.10 on PATH) and retry."
    ]
    assert not (project / ".venv").exists()


def test_a_failed_install_is_one_line_naming_the_log(tmp_path):
    project = copy_of_setup(tmp_path, "no-such-package-for-msk-setup-test==0.0.1\n")
    path = f"{real_python310().parent}:/usr/bin:/bin"
    result = run_setup(project, path)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert (
        lines[0].startswith("make: dependency install failed") and "var/log/setup.log" in lines[0]
    )
    assert "retry" in lines[0]
