#!/usr/bin/env bash
# Regenerate requirements.lock, the validated set of labpipe's Python packages
# (`make lock`). Run it after changing the dependencies in pyproject.toml, or with
# UPGRADE=1 to move to newer releases on purpose; commit the result and validate
# it again.
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

# uv keeps the versions already in the lock where pyproject.toml still allows them
# (it reads its --output-file as preferences), so adding one dependency changes
# only what that needs; UPGRADE=1 moves every package to its newest release.
resolved=$LOCK.resolved
partial=$LOCK.partial
trap 'rm -f "$resolved" "$partial"' EXIT
if [ -f "$LOCK" ]; then cp "$LOCK" "$resolved"; else : > "$resolved"; fi
upgrade=()
[ "${UPGRADE:-0}" = 1 ] && upgrade=(--upgrade)
printf '%s\neditables\npip\nsetuptools\n' "$build_requires" | "$UV" pip compile pyproject.toml - \
    --extra dev --extra slurm --generate-hashes --no-header "${upgrade[@]}" \
    --python-version "$LOCK_PYTHON" --python-platform "$LOCK_PLATFORM" --output-file "$resolved" \
    >/dev/null
{
    echo "# labpipe's Python packages, each pinned with the sha256 of its files: the install a"
    echo "# lab validates. \`make setup\` installs exactly this (pip --require-hashes) and"
    echo "# \`labpipe doctor\` says when an installed package differs from it."
    echo "# Regenerate with \`make lock\` (scripts/lock.sh, needs PyPI) after changing the"
    echo "# dependencies in pyproject.toml (\`make lock UPGRADE=1\` to take newer releases);"
    echo "# never edit it by hand. Resolved for CPython $LOCK_PYTHON on x86-64 Linux; setup"
    echo "# refuses another Python version (see README). Includes the dev and slurm extras"
    echo "# and the installers: pip, setuptools, hatchling, editables."
    echo "# lock-python: $LOCK_PYTHON"
    cat "$resolved"
} > "$partial"
mv "$partial" "$LOCK"
printf 'lock: wrote %s (%s packages, for Python %s)\n' \
    "$LOCK" "$(grep -c '^[A-Za-z0-9].*==' "$LOCK")" "$LOCK_PYTHON"
