#!/usr/bin/env bash
# A one-machine SLURM cluster, to try `labpipe run --executor slurm` (and to test it).
#
#   scripts/slurm-single-node.sh install   apt-get install slurm-wlm and munge (root, Debian/Ubuntu)
#   scripts/slurm-single-node.sh start     write the config if absent, start munged, slurmctld, slurmd
#   scripts/slurm-single-node.sh stop      stop the daemons THIS script started (by their pid files)
#   scripts/slurm-single-node.sh status    sinfo
#
# Runs as root, without systemd. Everything lives under one state directory
# (SLURM_STATE_DIR, default /var/tmp/labpipe-slurm): slurm.conf, spool, logs and
# pid files, and `stop` ends only the daemons started here. /etc/slurm/slurm.conf
# becomes a link to this slurm.conf while SLURM runs (and is removed by `stop`):
# the job steps Snakemake starts inside a job drop SLURM_CONF from their
# environment, so the config must be where every SLURM command looks by default.
# An /etc/slurm/slurm.conf that is not this script's link is never replaced:
# `start` stops and says so (that machine has its own SLURM). No accounting (no slurmdbd):
# labpipe asks squeue for job states, not sacct.
#
# A production cluster is set up by its admin; this is the smallest working one:
# one node named after this host, proctrack/linuxproc (no cgroups needed), all
# its CPUs and most of its memory in one partition `main`. Like a real cluster it
# kills a job over its memory (polled every 2 s: OverMemoryKill; such a job ends
# FAILED, its log saying why) or past its time limit (TIMEOUT).
set -euo pipefail

STATE=${SLURM_STATE_DIR:-/var/tmp/labpipe-slurm}
CONF=$STATE/slurm.conf
SYSTEM_CONF=/etc/slurm/slurm.conf
MUNGE_PID=$STATE/munged.pid
MUNGE_SOCKET=$STATE/munge.socket
CONF_MARK="# Written by labpipe's scripts/slurm-single-node.sh"

say() { printf 'slurm-single-node: %s\n' "$*"; }
die() { printf 'slurm-single-node: error: %s\n' "$*" >&2; exit 1; }

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

install() {
    command -v slurmctld >/dev/null && command -v munged >/dev/null && return 0
    [ "$(id -u)" = 0 ] || die "run as root, or: sudo apt-get install slurm-wlm munge"
    command -v apt-get >/dev/null || die "no apt-get: install slurm-wlm and munge with your package manager"
    say "installing slurm-wlm and munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

write_conf() {
    local host cpus mem
    host=$(hostname -s)
    cpus=$(nproc)
    # RealMemory must not exceed what slurmd finds, or the node is drained; keep 10% back.
    mem=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
    mkdir -p "$STATE/spool/ctld" "$STATE/spool/d" "$STATE/log"
    cat > "$CONF" <<CONFEOF
$CONF_MARK for host $host.
ClusterName=labpipe
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$STATE/spool/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldPort=6917
SlurmdPort=6918
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/linux
# Memory limits are enforced without cgroups: every 2 s the gather plugin sums the RSS of
# each job step's processes and kills a step that uses more than the job's --mem.
JobAcctGatherFrequency=task=2
JobAcctGatherParams=OverMemoryKill
# At its time limit a job gets SIGTERM, then SIGKILL this many seconds later.
KillWait=5
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
# Finished jobs stay visible to squeue this long (seconds): job states come from squeue.
MinJobAge=600
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONFEOF
}

start() {
    install
    [ "$(id -u)" = 0 ] || die "starting the daemons needs root"
    # slurmctld and slurmd find each other by this name.
    getent hosts "$(hostname -s)" >/dev/null \
        || die "this host's name $(hostname -s) does not resolve; add it to /etc/hosts"
    # A config this script wrote is written again (a newer script may set more), unless
    # the daemons already run with it; one written by hand is kept as it is.
    if [ ! -f "$CONF" ] || { head -1 "$CONF" | grep -q "^$CONF_MARK" \
        && ! running "$STATE/slurmctld.pid" && ! running "$STATE/slurmd.pid"; }; then
        write_conf
    fi
    if [ -L "$SYSTEM_CONF" ] && [ "$(readlink "$SYSTEM_CONF")" = "$CONF" ]; then
        :
    elif [ -e "$SYSTEM_CONF" ] || [ -L "$SYSTEM_CONF" ]; then
        die "$SYSTEM_CONF exists and is not this script's; this machine has its own SLURM setup"
    else
        mkdir -p "$(dirname "$SYSTEM_CONF")"
        ln -s "$CONF" "$SYSTEM_CONF"
    fi
    if ! running "$MUNGE_PID"; then
        chown munge:munge "$STATE" 2>/dev/null || true
        chmod 0755 "$STATE"
        runuser -u munge -- /usr/sbin/munged --socket="$MUNGE_SOCKET" --pid-file="$MUNGE_PID" \
            --log-file="$STATE/munged.log" --force
    fi
    munge --socket="$MUNGE_SOCKET" -n | unmunge --socket="$MUNGE_SOCKET" >/dev/null \
        || die "munge does not work; see $STATE/munged.log"
    running "$STATE/slurmctld.pid" || /usr/sbin/slurmctld
    running "$STATE/slurmd.pid" || /usr/sbin/slurmd
    for _ in $(seq 30); do
        if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
            say "SLURM is up: $(sinfo -h -o '%P %D node(s) %c CPUs %m MB')"
            return 0
        fi
        sleep 1
    done
    die "the node did not come up; see $STATE/log/slurmctld.log and $STATE/log/slurmd.log"
}

stop() {
    local name pidfile pid
    for name in slurmd slurmctld munged; do
        pidfile=$STATE/$name.pid
        [ "$name" = munged ] && pidfile=$MUNGE_PID
        running "$pidfile" || continue
        pid=$(cat "$pidfile")
        kill "$pid"
        for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        say "stopped $name (pid $pid)"
    done
    if [ -L "$SYSTEM_CONF" ] && [ "$(readlink "$SYSTEM_CONF")" = "$CONF" ]; then
        rm -f "$SYSTEM_CONF"
    fi
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    status) sinfo ;;
    *) die "usage: $0 install|start|stop|status" ;;
esac
