#!/usr/bin/env bash
# Install everything labpipe needs: a Python virtualenv (.venv) with labpipe and
# its Python dependencies, exactly as pinned (with hashes) in requirements.lock,
# and the external tools (fastp, bwa, samtools, bcftools, bgzip/tabix, mosdepth).
#
# Tools come from apt-get when running as root on Debian/Ubuntu, otherwise from
# the pinned conda env files in envs/ when conda or mamba is present; failing
# both, this script stops and prints the exact command to run.
# Safe to run again: it only does what is missing.
#
# --test also installs what only the tests use: headless Chromium, which opens
# the HTML reports the way a person would (as root with apt-get; otherwise the
# browser tests skip and say why).
set -euo pipefail

FOR_TESTS=0
[ "${1:-}" = "--test" ] && FOR_TESTS=1

cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
TOOLS=(fastp bwa minimap2 samtools bcftools bgzip tabix mosdepth freebayes)
APT_PACKAGES=(fastp bwa minimap2 samtools bcftools tabix mosdepth freebayes libhts-dev)

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }
has_apt() { command -v apt-get >/dev/null 2>&1; }
APT_UPDATED=0
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    if [ "$APT_UPDATED" = 0 ]; then
        apt-get update -qq
        APT_UPDATED=1
    fi
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Python ------------------------------------------------------------------
# The lock is resolved for one Python version: another one would get other wheels
# (or none), so stop here with what to do instead of a pip error halfway.
LOCK=requirements.lock
lock_python=$(sed -n 's/^# lock-python: *//p' "$LOCK")
[ -n "$lock_python" ] || die "$LOCK has no '# lock-python:' line; regenerate it with: make lock"
python_version() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }
wrong_python() {
    die "$LOCK (the validated set of Python packages) is for Python $lock_python, but $1 is Python $2.
    Install Python $lock_python and run: ${3:-}PYTHON=/path/to/python$lock_python make setup
    (Debian 12's own python3 is 3.11: sudo apt-get install python3 python3-venv).
    Or lock for Python $2 instead, a new set of versions to validate again:
    make lock LOCK_PYTHON=$2"
}

if [ ! -x "$VENV/bin/python" ]; then
    command -v "$PYTHON" >/dev/null 2>&1 || {
        if is_root && has_apt; then say "installing python3"; apt_install python3 python3-venv python3-pip
        else die "python3 ($lock_python) is not installed; on Debian/Ubuntu: sudo apt-get install python3 python3-venv"; fi
    }
    have=$(python_version "$PYTHON")
    [ "$have" = "$lock_python" ] || wrong_python "$PYTHON" "$have"
    say "creating $VENV"
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        rm -rf "$VENV"
        if is_root && has_apt; then
            apt_install python3-venv
            "$PYTHON" -m venv "$VENV"
        else
            die "cannot create a virtualenv; on Debian/Ubuntu: sudo apt-get install python3-venv"
        fi
    fi
fi
have=$(python_version "$VENV/bin/python")
[ "$have" = "$lock_python" ] || wrong_python "$VENV/bin/python (of an existing $VENV)" "$have" "rm -rf $VENV; "

# The lock's entries (pin and hashes) for the packages named.
locked_blocks() {
    awk -v names=" $* " '
        /^[A-Za-z0-9]/ { name = tolower($0); sub(/==.*/, "", name); keep = index(names, " " name " ") }
        keep && !/^[[:space:]]*#/' "$LOCK"
}

# Reinstalled whenever the lock or pyproject.toml changes, or the installed
# packages no longer match the lock.
stamp="$VENV/.labpipe-installed"
want=$(cat pyproject.toml "$LOCK" | sha256sum | cut -d' ' -f1)
installed_from_lock() {
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
        # and nothing changed by hand since (else the lock goes in again)
        "$VENV/bin/python" -m labpipe.provenance.lockcheck --matches 2>/dev/null
}
if ! installed_from_lock; then
    say "installing labpipe and its Python dependencies from $LOCK into $VENV"
    rm -f "$stamp"
    # Every file checked against the lock's hashes. The lock holds the whole set,
    # installers included: first the locked pip and setuptools (which builds the
    # one package PyPI has only as source), then everything else with them and
    # without build isolation, so nothing unpinned is fetched or run.
    installers=$(locked_blocks pip setuptools)
    "$VENV/bin/python" -m pip install --quiet --require-hashes --no-deps -r <(echo "$installers")
    "$VENV/bin/python" -m pip install --quiet --require-hashes --no-deps --no-build-isolation -r "$LOCK"
    "$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e .
    # Packages an earlier lock installed and this one no longer has.
    stale=$("$VENV/bin/python" -m labpipe.provenance.lockcheck --not-in-lock)
    if [ -n "$stale" ]; then
        say "removing packages not in $LOCK:" $stale
        # shellcheck disable=SC2086  # one distribution name per word
        "$VENV/bin/python" -m pip uninstall --quiet --yes $stale
    fi
    # A lock older than pyproject.toml's dependencies shows here, not at run time.
    "$VENV/bin/python" -m pip check >/dev/null \
        || die "$LOCK does not satisfy pyproject.toml: $("$VENV/bin/python" -m pip check)
    regenerate it with: make lock"
    echo "$want" > "$stamp"
fi

# --- External tools ----------------------------------------------------------
tool_works() {
    # mosdepth from Debian 12 exits with "could not load: libhts.so" without libhts-dev.
    case "$1" in
        bwa) command -v bwa >/dev/null 2>&1 ;;
        *) "$1" --version >/dev/null 2>&1 ;;
    esac
}
missing=()
for tool in "${TOOLS[@]}"; do
    tool_works "$tool" || [ -x "$VENV/bin/$tool" ] || missing+=("$tool")
done

if [ ${#missing[@]} -gt 0 ]; then
    say "missing tools: ${missing[*]}"
    if is_root && has_apt; then
        say "installing with apt-get: ${APT_PACKAGES[*]}"
        apt_install "${APT_PACKAGES[@]}"
    elif command -v mamba >/dev/null 2>&1 || command -v conda >/dev/null 2>&1; then
        conda_cmd=$(command -v mamba || command -v conda)
        say "installing with $(basename "$conda_cmd") from envs/tools.yaml into .tools/"
        if [ -d .tools ]; then "$conda_cmd" env update -p .tools -f envs/tools.yaml
        else "$conda_cmd" env create -p .tools -f envs/tools.yaml; fi
        for tool in "${TOOLS[@]}"; do ln -sf "$PWD/.tools/bin/$tool" "$VENV/bin/$tool"; done
    else
        die "missing ${missing[*]}. Install them with ONE of:
    sudo apt-get install -y ${APT_PACKAGES[*]}
    mamba env create -p .tools -f envs/tools.yaml   (then run make setup again)"
    fi
fi

# --- Fonts of the translated reports --------------------------------------------
# The reports name their fonts and load none (they stay one offline file): Urdu needs
# Noto Nastaliq Urdu (Debian fonts-noto-core), Chinese Noto Sans CJK (fonts-noto-cjk),
# on the computer that opens or prints them. English needs neither.
has_font() { command -v fc-list >/dev/null 2>&1 && fc-list : family | grep -qi "$1"; }
FONT_PACKAGES=()
has_font "Noto Nastaliq Urdu" || FONT_PACKAGES+=(fonts-noto-core)
has_font "Noto Sans CJK" || FONT_PACKAGES+=(fonts-noto-cjk)
if [ ${#FONT_PACKAGES[@]} -gt 0 ]; then
    if is_root && has_apt; then
        say "installing the fonts of the Urdu and Chinese reports: ${FONT_PACKAGES[*]}"
        apt_install fontconfig "${FONT_PACKAGES[@]}"
    else
        say "Urdu/Chinese reports need fonts not installed here" \
            "(sudo apt-get install ${FONT_PACKAGES[*]}); English reports do not"
    fi
fi

if [ "$FOR_TESTS" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
    if is_root && has_apt; then
        say "installing chromium for the browser tests"
        apt_install chromium fonts-dejavu-core
    else
        say "chromium is not installed: the browser tests will be skipped" \
            "(sudo apt-get install chromium)"
    fi
fi

# A single-node SLURM (slurm-wlm, munge) for the test that runs the demo through
# `--executor slurm` (tests/run/test_slurm.py); the test starts and stops the daemons itself.
if [ "$FOR_TESTS" = 1 ] && ! command -v slurmctld >/dev/null 2>&1; then
    if is_root && has_apt; then
        say "installing slurm-wlm and munge for the SLURM test"
        apt_install slurm-wlm munge
    else
        say "SLURM is not installed: the SLURM test will be skipped" \
            "(sudo apt-get install slurm-wlm munge)"
    fi
fi

# pdftotext reads the printed reports back, page by page (report tests).
if [ "$FOR_TESTS" = 1 ] && ! command -v pdftotext >/dev/null 2>&1; then
    if is_root && has_apt; then
        say "installing poppler-utils (pdftotext) for the printed-report tests"
        apt_install poppler-utils
    else
        say "pdftotext is not installed: the printed-report page checks will be skipped" \
            "(sudo apt-get install poppler-utils)"
    fi
fi

"$VENV/bin/labpipe" doctor
