#!/usr/bin/env bash
# Regenerate requirements.lock, the validated set of labpipe's Python packages
# (`make lock`). Run it after changing the dependencies in pyproject.toml, or to
# move to newer releases on purpose; commit the result and validate it again.
#
# The lock resolves labpipe's dependencies with the dev and slurm extras, plus what
# installing them runs: pip itself; the build backend (hatchling, and editables,
# which hatchling asks for to install labpipe in editable mode); and setuptools,
# which builds connection-pool (a snakemake dependency PyPI has only as source).
# So `make setup` builds nothing with tools it fetched unpinned. It resolves them
# for one Python (LOCK_PYTHON) on x86-64 Linux, with the sha256 of every file PyPI
# holds for each pinned release. It uses uv (pinned by the lock itself, in .venv).
# Needs PyPI; nothing else in labpipe does.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
LOCK=requirements.lock
LOCK_PYTHON=${LOCK_PYTHON:-3.11}
LOCK_PLATFORM=x86_64-unknown-linux-gnu

die() { printf 'lock: error: %s\n' "$*" >&2; exit 1; }

UV=$VENV/bin/uv
[ -x "$UV" ] || UV=$(command -v uv || true)
[ -n "$UV" ] || die "uv is not installed: run \`make setup\` (it installs uv into $VENV), or: python3 -m pip install --user uv"

# Build requirements come from pyproject.toml's [build-system], not a second list.
PY=$VENV/bin/python
[ -x "$PY" ] || PY=python3
build_requires=$("$PY" -c '
import tomllib
with open("pyproject.toml", "rb") as handle:
    print("\n".join(tomllib.load(handle)["build-system"]["requires"]))')

partial=$LOCK.partial
trap 'rm -f "$partial"' EXIT
{
    echo "# labpipe's Python packages, each pinned with the sha256 of its files: the install a"
    echo "# lab validates. \`make setup\` installs exactly this (pip --require-hashes) and"
    echo "# \`labpipe doctor\` says when an installed package differs from it."
    echo "# Regenerate with \`make lock\` (scripts/lock.sh, needs PyPI) after changing the"
    echo "# dependencies in pyproject.toml; never edit it by hand. Resolved for CPython"
    echo "# $LOCK_PYTHON on x86-64 Linux; setup refuses another Python version (see README)."
    echo "# Includes the dev and slurm extras and the installers: pip, setuptools, hatchling, editables."
    echo "# lock-python: $LOCK_PYTHON"
    printf '%s\neditables\npip\nsetuptools\n' "$build_requires" | "$UV" pip compile pyproject.toml - \
        --extra dev --extra slurm --generate-hashes --no-header \
        --python-version "$LOCK_PYTHON" --python-platform "$LOCK_PLATFORM"
} > "$partial"
mv "$partial" "$LOCK"
trap - EXIT
printf 'lock: wrote %s (%s packages, for Python %s)\n' \
    "$LOCK" "$(grep -c '^[A-Za-z0-9].*==' "$LOCK")" "$LOCK_PYTHON"
