#!/bin/bash
# tcp-demo.sh [--timeout SECS] [--keep DIR] -- real-VM test of the TCP data path of a
# passt-mode daemon (by default passt4j's scripts/passt), in a fresh sandbox (sandbox.sh).
#
# Host side, all on the sandbox's loopback: an HTTP server (python3 -m http.server, on
# 127.0.0.1 and ::1) serving a random BLOB_MB MiB file, upload sinks (socat, 127.0.0.1 and
# ::1) that write what they get to files, a TCP echo server and an iperf3 server. The guest
# (guest-tcp.sh) downloads and uploads through the gateway address, checks a refused port,
# half-closes a connection while the server (tcp-peer.py) still sends HALF_MB MiB, sees a
# server's reset in the middle of a transfer as a reset, opens CONNS connections at once, runs
# iperf3 both ways, then says "READY tcp_fwd": the host
# then connects through the daemon's -t ports to the guest's servers: from 127.0.0.1, ::1,
# the sandbox's own address 198.51.100.2 and 203.0.113.5 / 2001:db8:5::5 (a second interface,
# a veth, added here), checking the source address the guest saw, sends BLOB_MB MiB and checks
# the guest's sha256, and runs iperf3 host to guest.
#
# Env:
#   DAEMON    daemon command (word-split); gets "-s SOCKET" appended
#             default: "$ROOT/scripts/passt -f -e -1 -t <fwd ports>"
#   BLOB_MB   size of the download/upload/-t file in MiB (64)
#   HALF_MB   what the half-close server sends after the guest's FIN, in MiB (4)
#   CONNS     concurrent connections in the guest (200)   IPERF_SECS (3)
#   GUEST_APPEND  extra KEY=VAL for the guest
# Output: the guest's RESULT/CHECK lines, then the host's own CHECK lines, then a summary.
# Exit status: number of failed checks (guest and host), or run-guest's status if the guest
# did not complete, or 2 on setup errors.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TIMEOUT=600 KEEP=
while [ $# -gt 0 ]; do
    case "$1" in
        --timeout) TIMEOUT=$2; shift 2 ;;
        --keep) KEEP=$2; shift 2 ;;
        -h|--help) sed -n '2,26s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "tcp-demo: unknown argument $1" >&2; exit 2 ;;
    esac
done
HTTP_PORT=8000 UP_PORT=9004 ECHO_PORT=9007 IPERF_PORT=5201 FWD_PORT=2222 HC_PORT=9010 RST_PORT=9012
BLOB_MB=${BLOB_MB:-64}
HALF_MB=${HALF_MB:-4}
CONNS=${CONNS:-200}
IPERF_SECS=${IPERF_SECS:-3}
DAEMON=${DAEMON:-$ROOT/scripts/passt -f -e -1 -t $FWD_PORT-$((FWD_PORT+2)),$((IPERF_PORT+1))}

if [ "${PASST4J_SANDBOX:-}" != 1 ]; then
    missing=
    command -v socat >/dev/null || missing="$missing socat"
    command -v iperf3 >/dev/null || missing="$missing iperf3"
    command -v python3 >/dev/null || missing="$missing python3"
    if [ -n "$missing" ]; then
        [ "$(id -u)" = 0 ] || { echo "tcp-demo: missing:$missing" >&2; exit 2; }
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2 \
          || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2; } \
          || { echo "tcp-demo: cannot install$missing" >&2; exit 2; }
    fi
    "$HERE/build-assets.sh" >&2
    export VM_ASSETS_CHECKED=1
    exec "$HERE/sandbox.sh" "$0" --timeout "$TIMEOUT" ${KEEP:+--keep "$KEEP"}
fi

T_START=$(date +%s.%N)
W=$(mktemp -d "${TMPDIR:-/tmp}/passt-tcp.XXXXXX")
chmod 755 "$W"
mkdir -m 1777 "$W/sock"
mkdir "$W/www"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "$KEEP" ]; then mkdir -p "$KEEP"; cp "$W"/*.log "$W"/*.err "$KEEP"/ 2>/dev/null || true; fi
    rm -rf "$W"
}
trap cleanup EXIT

# a second, non-loopback interface: clients there keep their address in the guest
ip link add tveth0 type veth peer name tveth1
ip link set tveth1 up; ip link set tveth0 up
ip addr add 203.0.113.5/24 dev tveth0
ip -6 addr add 2001:db8:5::5/64 dev tveth0 nodad

head -c $((BLOB_MB * 1048576)) /dev/urandom > "$W/www/blob"
SHA=$(sha256sum "$W/www/blob" | cut -d' ' -f1)
echo "tcp-demo: blob ${BLOB_MB} MiB sha256 $SHA" >&2

python3 -m http.server $HTTP_PORT --bind 127.0.0.1 --directory "$W/www" >>"$W/http.log" 2>&1 & PIDS+=($!)
python3 -m http.server $HTTP_PORT --bind ::1 --directory "$W/www" >>"$W/http.log" 2>&1 & PIDS+=($!)
socat -u TCP4-LISTEN:$UP_PORT,bind=127.0.0.1,reuseaddr OPEN:"$W/up4",creat,trunc 2>>"$W/srv.log" & PIDS+=($!)
socat -u TCP6-LISTEN:$((UP_PORT+1)),bind=[::1],reuseaddr OPEN:"$W/up6",creat,trunc 2>>"$W/srv.log" & PIDS+=($!)
socat TCP4-LISTEN:$ECHO_PORT,bind=127.0.0.1,reuseaddr,fork,backlog=1024 PIPE 2>>"$W/srv.log" & PIDS+=($!)
iperf3 -s -B 127.0.0.1 -p $IPERF_PORT >>"$W/iperf.log" 2>&1 & PIDS+=($!)
head -c $((HALF_MB * 1048576)) /dev/urandom > "$W/half"
HALF_SHA=$(sha256sum "$W/half" | cut -d' ' -f1)
PEER=$HERE/tcp-peer.py
"$PEER" answer-after-eof 127.0.0.1 $HC_PORT "$W/half" --lifetime "$TIMEOUT" 2>>"$W/srv.log" & PIDS+=($!)
"$PEER" answer-after-eof ::1 $((HC_PORT+1)) "$W/half" --lifetime "$TIMEOUT" 2>>"$W/srv.log" & PIDS+=($!)
"$PEER" reset-after 127.0.0.1 $RST_PORT 1048576 --lifetime "$TIMEOUT" 2>>"$W/srv.log" & PIDS+=($!)
"$PEER" reset-after ::1 $((RST_PORT+1)) 1048576 --lifetime "$TIMEOUT" 2>>"$W/srv.log" & PIDS+=($!)

SOCK=$W/sock/passt.socket
# shellcheck disable=SC2086
$DAEMON -s "$SOCK" >"$W/daemon.log" 2>&1 & PIDS+=($!)
DPID=$!
for _ in $(seq 200); do [ -S "$SOCK" ] && break; sleep 0.05; done
if [ ! -S "$SOCK" ]; then
    echo "tcp-demo: daemon did not create $SOCK; its output:" >&2; cat "$W/daemon.log" >&2; exit 2
fi
for _ in $(seq 100); do
    curl_ok=$(python3 -c "import socket; socket.create_connection(('127.0.0.1', $HTTP_PORT), 1)" 2>/dev/null && echo 1 || true)
    [ -n "$curl_ok" ] && break; sleep 0.05
done
echo "tcp-demo: daemon '$DAEMON' up (pid $DPID), socket $SOCK" >&2

hcheck() { # hcheck NAME STATUS DETAIL -> host CHECK line
    if [ "$2" = 0 ]; then echo "CHECK $1 PASS $3"; else echo "CHECK $1 FAIL $3"; fi >> "$W/host.log"
}
canon() { python3 -c "
import ipaddress, sys
a = ipaddress.ip_address(sys.argv[1].strip('[]'))
print(a.ipv4_mapped if a.version == 6 and a.ipv4_mapped else a)" "$1" 2>/dev/null || echo "?$1"; }
elapsed() { echo "$1 $(date +%s.%N)" | awk '{printf "%.2f", $2-$1}'; }

# host side of the -t tests, once the guest says so
(
    set +e
    for _ in $(seq $((TIMEOUT*10))); do
        grep -q '^READY tcp_fwd' "$W/console.log" 2>/dev/null && break
        sleep 0.1
    done
    grep -q '^READY tcp_fwd' "$W/console.log" 2>/dev/null || exit 0
    # name  connect-to  bind  expected source in the guest
    while read -r name to bind want; do
        msg="hello-$name"
        [ "$bind" = - ] && b= || b=",bind=$bind"
        case "$to" in *:*) a="TCP6:[$to]:$FWD_PORT$b" ;; *) a="TCP4:$to:$FWD_PORT$b" ;; esac
        out=$(echo "$msg" | timeout 20 socat -t 10 -T 15 - "$a" 2>&1 || true)
        peer=$(echo "$out" | sed -n 's/^peer=//p' | head -n1)
        seen=$(canon "$peer")
        echo "RESULT fwd_seen_$name=$seen" >> "$W/host.log"
        echo "$out" | grep -qx "$msg" && [ "$seen" = "$want" ]
        hcheck "fwd_$name" $? "to=$to bind=$bind seen=$seen want=$want"
    done <<EOF
lo4 127.0.0.1 - 198.51.100.1
lo6 ::1 - 2001:db8::1
own4 198.51.100.2 198.51.100.2 198.51.100.1
other4 203.0.113.5 203.0.113.5 203.0.113.5
other6 2001:db8:5::5 [2001:db8:5::5] 2001:db8:5::5
EOF
    for v in 4 6; do
        [ $v = 4 ] && a="TCP4:127.0.0.1:$((FWD_PORT+1))" || a="TCP6:[::1]:$((FWD_PORT+1))"
        t0=$(date +%s.%N)
        got=$(timeout 300 socat -t 120 -T 240 - "$a" < "$W/www/blob" 2>>"$W/fwd.err" | cut -d' ' -f1 || true)
        d=$(elapsed "$t0")
        r=$(echo "$d $BLOB_MB" | awk '{printf "%.1f", $2/($1>0?$1:0.01)}')
        echo "RESULT fwd_bulk$v=bytes=$((BLOB_MB*1048576)) secs=$d MiB/s=$r" >> "$W/host.log"
        [ "$got" = "$SHA" ]; hcheck "fwd_bulk$v" $? "secs=$d MiB/s=$r sha=$got"
    done
    out=$(timeout $((IPERF_SECS+30)) iperf3 -c 127.0.0.1 -p $((IPERF_PORT+1)) -t "$IPERF_SECS" -f m 2>&1 || true)
    mbps=$(echo "$out" | grep receiver | tail -n1 | awk '{for(i=1;i<=NF;i++) if ($i=="Mbits/sec") print $(i-1)}')
    echo "RESULT iperf_fwd=mbit/s=$mbps" >> "$W/host.log"
    [ -n "$mbps" ]; hcheck iperf_fwd $? "mbit/s=$mbps $(echo "$out" | grep -i error | head -n1)"
    echo done | timeout 10 socat -u - TCP4:127.0.0.1:$((FWD_PORT+2)) 2>>"$W/fwd.err" || true
) & PIDS+=($!)

T_BOOT=$(date +%s.%N)
RC=0
"$HERE/run-guest.sh" --socket "$SOCK" --timeout "$TIMEOUT" --log "$W/console.log" \
    --script "$HERE/guest-tcp.sh" \
    --append "BLOB_SHA=$SHA HTTP_PORT=$HTTP_PORT UP_PORT=$UP_PORT ECHO_PORT=$ECHO_PORT CONNS=$CONNS IPERF_PORT=$IPERF_PORT IPERF_SECS=$IPERF_SECS FWD_PORT=$FWD_PORT HC_PORT=$HC_PORT HALF_SHA=$HALF_SHA RST_PORT=$RST_PORT ${GUEST_APPEND:-}" \
    >/dev/null || RC=$?
T_END=$(date +%s.%N)
sleep 0.5

up_sha=$(sed -n 's/^RESULT upload_sha=//p' "$W/console.log" | head -n1)
for v in 4 6; do
    got=$(sha256sum "$W/up$v" 2>/dev/null | cut -d' ' -f1 || true)
    size=$(wc -c < "$W/up$v" 2>/dev/null || echo 0)
    [ -n "$up_sha" ] && [ "$got" = "$up_sha" ]; hcheck "upload$v" $? "bytes=$size sha=$got"
done

echo "=== guest console (RESULT/CHECK lines) ==="
grep -E '^(RESULT|CHECK|READY|INIT|GUEST_DONE)' "$W/console.log" || true
echo "=== host checks ==="
cat "$W/host.log" 2>/dev/null || true
echo "=== daemon log (last 20 lines) ==="
tail -n 20 "$W/daemon.log" || true
echo "=== summary ==="
pass=$(cat "$W/console.log" "$W/host.log" 2>/dev/null | grep -c '^CHECK .* PASS' || true)
fail=$(cat "$W/console.log" "$W/host.log" 2>/dev/null | grep -c '^CHECK .* FAIL' || true)
echo "daemon: $DAEMON"
echo "checks: $pass passed, $fail failed; run-guest status $RC"
echo "qemu wall $(echo "$T_END $T_BOOT" | awk '{printf "%.1f", $1-$2}')s; total $(echo "$T_END $T_START" | awk '{printf "%.1f", $1-$2}')s"
cat "$W/console.log" "$W/host.log" 2>/dev/null | grep '^CHECK .* FAIL' | sed 's/^/  /' || true
if [ "$RC" != 0 ]; then exit "$RC"; fi
exit "$fail"
