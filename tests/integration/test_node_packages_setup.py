"""The set-up installs the staff app's front-end packages (nhsuk-frontend) with `npm ci` only
when package-lock.json changed, and says in one line what to do when npm is missing."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from scripts.layout import ROOT

TOOLS = ("bash", "sha256sum", "cut", "cat", "mkdir", "tr", "tail", "dirname")


def project_without_npm(tmp_path: Path) -> tuple[Path, str]:
    """A bare project with the npm step and the lock file, and a PATH that has no npm."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "node_packages.sh", tmp_path / "scripts")
    shutil.copy(ROOT / "package-lock.json", tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    return tmp_path, str(bin_dir)


def run(project: Path, path: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "scripts/node_packages.sh"],
        cwd=project,
        env={"PATH": path, "HOME": str(project), "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_npm_is_one_line_saying_how_to_fix_it(tmp_path):
    project, path = project_without_npm(tmp_path)
    result = run(project, path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("make: npm not found:")
    assert "retry" in lines[0]


def test_npm_is_not_run_when_the_lock_file_is_unchanged(tmp_path):
    project, path = project_without_npm(tmp_path)
    (project / "node_modules").mkdir()
    digest = hashlib.sha256((project / "package-lock.json").read_bytes()).hexdigest()
    (project / "node_modules" / ".package-lock.sha256").write_text(digest + "\n")
    result = run(project, path)  # no npm on PATH: it would fail if it tried
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_nhsuk_frontend_is_pinned_to_one_version():
    wanted = json.loads((ROOT / "package.json").read_text())["dependencies"]["nhsuk-frontend"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    assert wanted[0].isdigit()  # an exact version, not a range
    assert locked["node_modules/nhsuk-frontend"]["version"] == wanted
