#!/usr/bin/env python3
"""Reads TensorBoard event files with TensorBoard's own reader and prints their scalars as JSON:
{"<tag>": [{"step": N, "value": V, "wall_time": T}, ...], ...} (events in file order).

The reference check for src/formats/tfevents.cpp: tensorboard's EventAccumulator (its pure-Python
record reader verifies both masked CRC32Cs of every record and parses the Event protobufs).

  python3 tools/read_tfevents.py --setup   create the venv; exit 0 when TensorBoard imports
  python3 tools/read_tfevents.py LOGDIR     print LOGDIR's scalars (re-executes inside the venv)

The venv lives in ~/.cache/finetune.cpp/venv-tensorboard (a plain venv, not --system-site-packages)
with the exact versions of tools/requirements-tensorboard.txt; it is rebuilt when that file changes.
ctest's tfevents_tensorboard (tests/report.cmake) runs --setup and skips when it fails (offline).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "tools" / "requirements-tensorboard.txt"
VENV = Path.home() / ".cache" / "finetune.cpp" / "venv-tensorboard"
STAMP = VENV / "requirements.sha256"


def requirements_hash():
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def venv_ready():
    return STAMP.exists() and STAMP.read_text().strip() == requirements_hash()


def create_venv():
    # Built beside the final path and renamed, so an interrupted install never looks ready (only
    # bin/python is used afterwards: it finds the venv by its own location, unlike bin/pip's shebang).
    staging = VENV.with_name(VENV.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    subprocess.check_call(["/usr/bin/python3", "-m", "venv", str(staging)])
    subprocess.check_call([str(staging / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                           "-r", str(REQUIREMENTS)])
    subprocess.check_call([str(staging / "bin" / "python"), "-c",
                           "from tensorboard.backend.event_processing import event_accumulator"])
    (staging / STAMP.name).write_text(requirements_hash() + "\n")
    shutil.rmtree(VENV, ignore_errors=True)
    staging.rename(VENV)


def in_venv():
    return Path(sys.prefix).resolve() == VENV.resolve()


def read_scalars(logdir):
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(logdir, size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    return {tag: [{"step": e.step, "value": e.value, "wall_time": e.wall_time} for e in acc.Scalars(tag)]
            for tag in acc.Tags()[event_accumulator.SCALARS]}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: read_tfevents.py --setup | LOGDIR")
    if sys.argv[1] == "--setup":
        if not venv_ready():
            create_venv()
        return
    if not in_venv():
        if not venv_ready():
            create_venv()
        python = str(VENV / "bin" / "python")
        os.execv(python, [python, __file__] + sys.argv[1:])
    json.dump(read_scalars(sys.argv[1]), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
