#!/bin/bash
# vm-demo.sh [--timeout SECS] [--keep DIR] -- end-to-end real-VM test
# of a passt-mode daemon, by default Debian's /usr/bin/passt (the reference).
#
# Inside a fresh sandbox (sandbox.sh) it starts UDP+TCP echo servers on
# 127.0.0.1 and [::1] port $ECHO_PORT, the daemon on a UNIX socket with
# "-u $FWD_PORT", boots the guest (run-guest.sh + guest-basic.sh), sends
# "passt4j-fwd4"/"passt4j-fwd6" to 127.0.0.1/[::1]:$FWD_PORT when the guest
# says "READY udp_fwd", then prints a summary of the guest's CHECK lines.
#
# Env:
#   DAEMON     daemon command (word-split); gets "-s SOCKET" appended
#              default: "/usr/bin/passt -f -e -1 -u $FWD_PORT"
#              (our Java daemon is substituted by changing just this)
#   ECHO_PORT  (10007)   FWD_PORT (7000)   GUEST_APPEND  extra KEY=VAL for the guest
#   GUEST_SCRIPT  guest script for run-guest.sh --script (default guest-basic.sh)
# Exit status: number of failed guest checks (0 = all passed), or run-guest's
# status if the guest did not complete, or 2 on setup errors.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TIMEOUT=180 KEEP=
while [ $# -gt 0 ]; do
    case "$1" in
        --timeout) TIMEOUT=$2; shift 2 ;;
        --keep) KEEP=$2; shift 2 ;;
        -h|--help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "demo: unknown argument $1" >&2; exit 2 ;;
    esac
done
ECHO_PORT=${ECHO_PORT:-10007}
FWD_PORT=${FWD_PORT:-7000}
DAEMON=${DAEMON:-/usr/bin/passt -f -e -1 -u $FWD_PORT}

if [ "${PASST4J_SANDBOX:-}" != 1 ]; then
    # prerequisites (fresh Debian machine), then re-run inside the sandbox
    missing=
    command -v socat >/dev/null || missing="$missing socat"
    case "$DAEMON" in /usr/bin/passt*) [ -x /usr/bin/passt ] || missing="$missing passt" ;; esac
    if [ -n "$missing" ]; then
        [ "$(id -u)" = 0 ] || { echo "demo: missing:$missing" >&2; exit 2; }
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2 \
          || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2; } \
          || { echo "demo: cannot install$missing" >&2; exit 2; }
    fi
    "$HERE/build-assets.sh" >&2   # outside the sandbox: may need apt
    export VM_ASSETS_CHECKED=1
    exec "$HERE/sandbox.sh" "$0" --timeout "$TIMEOUT" ${KEEP:+--keep "$KEEP"}
fi

T_START=$(date +%s.%N)
W=$(mktemp -d "${TMPDIR:-/tmp}/passt-demo.XXXXXX")
chmod 755 "$W"
# passt started as root drops to "nobody" *before* binding its socket (and
# Debian's version ignores the EACCES), so the socket directory must be
# writable for nobody
mkdir -m 1777 "$W/sock"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "$KEEP" ]; then mkdir -p "$KEEP"; cp "$W"/*.log "$KEEP"/ 2>/dev/null || true; fi
    rm -rf "$W"
}
trap cleanup EXIT

# echo servers on the sandbox host's loopback (what the guest reaches via the gateway)
socat -T 5 UDP4-RECVFROM:$ECHO_PORT,bind=127.0.0.1,fork PIPE 2>>"$W/echo.log" & PIDS+=($!)
socat -T 5 UDP6-RECVFROM:$ECHO_PORT,bind=[::1],fork PIPE 2>>"$W/echo.log" & PIDS+=($!)
socat -T 5 TCP4-LISTEN:$ECHO_PORT,bind=127.0.0.1,reuseaddr,fork PIPE 2>>"$W/echo.log" & PIDS+=($!)
socat -T 5 TCP6-LISTEN:$ECHO_PORT,bind=[::1],reuseaddr,fork PIPE 2>>"$W/echo.log" & PIDS+=($!)

SOCK=$W/sock/passt.socket
# shellcheck disable=SC2086
$DAEMON -s "$SOCK" >"$W/daemon.log" 2>&1 & PIDS+=($!)
DPID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
if [ ! -S "$SOCK" ]; then
    echo "demo: daemon did not create $SOCK; its output:" >&2; cat "$W/daemon.log" >&2; exit 2
fi
echo "demo: daemon '$DAEMON' up (pid $DPID), socket $SOCK" >&2

# sender for the host -> guest forward test
(
    for _ in $(seq $((TIMEOUT*10))); do
        grep -q '^READY udp_fwd' "$W/console.log" 2>/dev/null && break
        sleep 0.1
    done
    for _ in 1 2 3; do
        echo passt4j-fwd4 | socat -u - UDP4-SENDTO:127.0.0.1:$FWD_PORT 2>>"$W/sender.log" || true
        echo passt4j-fwd6 | socat -u - UDP6-SENDTO:[::1]:$FWD_PORT 2>>"$W/sender.log" || true
        sleep 0.5
    done
) & PIDS+=($!)

T_BOOT=$(date +%s.%N)
RC=0
"$HERE/run-guest.sh" --socket "$SOCK" --timeout "$TIMEOUT" --log "$W/console.log" \
    ${GUEST_SCRIPT:+--script "$GUEST_SCRIPT"} \
    --append "ECHO_PORT=$ECHO_PORT FWD_PORT=$FWD_PORT GW6=2001:db8::1 TCP_ECHO=1 ${GUEST_APPEND:-}" \
    >/dev/null || RC=$?
T_END=$(date +%s.%N)

echo "=== guest console (RESULT/CHECK lines) ==="
grep -E '^(RESULT|CHECK|READY|INIT|GUEST_DONE)' "$W/console.log" || true
echo "=== daemon log (last 20 lines) ==="
tail -n 20 "$W/daemon.log" || true
echo "=== summary ==="
pass=$(grep -c '^CHECK .* PASS' "$W/console.log" || true)
fail=$(grep -c '^CHECK .* FAIL' "$W/console.log" || true)
init=$(sed -n 's/^INIT ready uptime=\([0-9.]*\).*/\1/p' "$W/console.log")
done_=$(sed -n 's/^GUEST_DONE .*uptime=\([0-9.]*\).*/\1/p' "$W/console.log")
echo "daemon: $DAEMON"
echo "checks: $pass passed, $fail failed; run-guest status $RC"
echo "guest uptime at /init ready: ${init:-?}s, at end: ${done_:-?}s; qemu wall $(echo "$T_END $T_BOOT" | awk '{printf "%.1f", $1-$2}')s; total $(echo "$T_END $T_START" | awk '{printf "%.1f", $1-$2}')s"
grep '^CHECK .* FAIL' "$W/console.log" | sed 's/^/  /' || true
if [ "$RC" != 0 ]; then exit "$RC"; fi
exit "$fail"
