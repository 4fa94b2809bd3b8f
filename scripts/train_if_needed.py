"""Train the Rasa model only when its inputs (config, domain, data, content) changed."""

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from scripts.form_domain import write_form_domain
from scripts.layout import (
    BUILD_DOMAIN,
    DOMAIN_PARTS,
    MODEL_FILE,
    MODEL_FINGERPRINT,
    ROOT,
    TRAINING_INPUTS,
    VAR,
)

# In input folders, only these files feed the model (READMEs and notices do not).
MODEL_SOURCE_SUFFIXES = {".yml", ".yaml", ".py", ".jsonl"}


def inputs_fingerprint() -> str:
    """SHA-256 over the path and bytes of every training input file."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = ROOT / name
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in MODEL_SOURCE_SUFFIXES)
        else:
            files = [path]
        for file in files:
            if not file.exists():
                continue
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def build_domain_dir() -> Path:
    """Link the domain parts into one directory, which Rasa merges into one domain, with the
    referral form's part built from the field registry."""
    BUILD_DOMAIN.mkdir(parents=True, exist_ok=True)
    for stale in BUILD_DOMAIN.iterdir():
        stale.unlink()
    for part in DOMAIN_PARTS:
        link = BUILD_DOMAIN / f"{part.parent.name}-{part.name}"
        link.symlink_to(os.path.relpath(part, BUILD_DOMAIN))
    write_form_domain(BUILD_DOMAIN)
    return BUILD_DOMAIN


def train() -> None:
    """Run `rasa train` into MODEL_FILE, logging to var/log/train.log."""
    log = VAR / "log" / "train.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", "config.yml",
        "--domain", str(build_domain_dir()),
        "--data", "bot/data",
        "--out", str(MODEL_FILE.parent),
        "--fixed-model-name", MODEL_FILE.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
    started = time.monotonic()
    with log.open("w") as out:
        result = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, "RASA_CACHE_DIRECTORY": str(VAR / "rasa-cache")},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if result.returncode != 0:
        sys.exit(f"make: rasa train failed; the last lines of {log} say:\n{tail(log)}")
    print(f"setup: trained {MODEL_FILE.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")


def tail(path: Path, lines: int = 15) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def main() -> None:
    build_domain_dir()
    fingerprint = inputs_fingerprint()
    if (
        MODEL_FILE.exists()
        and MODEL_FINGERPRINT.exists()
        and MODEL_FINGERPRINT.read_text().strip() == fingerprint
    ):
        return
    print("setup: training the Rasa model (inputs changed or no model yet)...")
    MODEL_FINGERPRINT.unlink(missing_ok=True)
    train()
    MODEL_FINGERPRINT.write_text(fingerprint + "\n")


if __name__ == "__main__":
    main()
