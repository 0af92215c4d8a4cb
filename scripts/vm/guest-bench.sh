#!/bin/sh
# guest-bench.sh -- guest side of scripts/bench (busybox sh, runs as /test.sh in the VM;
# needs /usr/bin/tcpbench, added with run-guest.sh --extra).
#
# IPv4 only: DHCP, then, all through the gateway address (the sandbox host's loopback):
#   READY idle_base            host samples the daemon's RSS (we wait IDLE_SETTLE s)
#   tcpbench hold              NCONN idle connections to SRV_PORT, "READY idle_held n=N",
#                              held HOLD s (host samples the RSS), then closed
#   iperf3 -c GW -t DUR        guest -> host            RESULT iperf_up_bps=
#   iperf3 -c GW -t DUR -R     host -> guest (guest-initiated)  RESULT iperf_down_bps=
#   tcpbench rr  GW SRV_PORT RR_DUR     RESULT rr_per_s=
#   tcpbench crr GW SRV_PORT CRR_DUR    RESULT crr_per_s=
#   with TFWD=1: iperf3 -s -1 on TFWD_PORT, "READY tfwd port=N"; the host runs its client
#   through the daemon's -t forward (waits at most DUR+30 s)
#   with WARMUP=S: before each of up, down, rr and crr, the same traffic for S seconds, its
#   result discarded (the daemon measured warm, not right after its start)
# Parameters (run-guest.sh --append): SRV_PORT (10009), IPERF_PORT (5201), TFWD (0),
# TFWD_PORT (5202), DUR (4), RR_DUR (3), CRR_DUR (3), NCONN (1000), HOLD (4),
# IDLE_SETTLE (2), WARMUP (0), SKIP=idle,up,down,rr,crr (steps to leave out).
PATH=/bin:/sbin:/usr/bin:/usr/sbin
SRV_PORT=${SRV_PORT:-10009}
IPERF_PORT=${IPERF_PORT:-5201}
TFWD=${TFWD:-0}
TFWD_PORT=${TFWD_PORT:-5202}
DUR=${DUR:-4}
RR_DUR=${RR_DUR:-3}
CRR_DUR=${CRR_DUR:-3}
NCONN=${NCONN:-1000}
HOLD=${HOLD:-4}
IDLE_SETTLE=${IDLE_SETTLE:-2}
WARMUP=${WARMUP:-0}
SKIP=",${SKIP:-},"
IF=eth0
FAILS=0

result() { echo "RESULT $1=$2"; }
check() { if [ "$2" = 0 ]; then echo "CHECK $1 PASS${3:+ $3}"; else echo "CHECK $1 FAIL${3:+ $3}"; FAILS=$((FAILS+1)); fi; }
skip() { case "$SKIP" in *",$1,"*) return 0 ;; esac; return 1; }
# warm CMD...: with WARMUP > 0, runs CMD (a step's traffic for WARMUP s), its output discarded
warm() { [ "$WARMUP" -gt 0 ] || return 0; "$@" >/dev/null 2>&1; }
warm_iperf() { warm timeout $((WARMUP + 20)) iperf3 -c "$GW" -p "$IPERF_PORT" -t "$WARMUP" --connect-timeout 5000 "$@"; }

# bits_per_second of end.sum_received in iperf3's JSON (no nested objects in there)
iperf_bps() {
    tr -d ' \n\t' < "$1" | sed -n 's/.*"sum_received":{[^}]*"bits_per_second":\([0-9.eE+-]*\).*/\1/p'
}
iperf_err() {
    tr -d '\n' < "$1" | sed -n 's/.*"error":[[:space:]]*"\([^"]*\)".*/\1/p' | cut -c1-160
}
# run_iperf NAME ARGS...: RESULT NAME_bps= or NAME_error=
run_iperf() {
    name=$1; shift
    timeout $((DUR + 20)) iperf3 -c "$GW" -p "$IPERF_PORT" -t "$DUR" -J --connect-timeout 5000 "$@" \
        > /tmp/$name.json 2>/tmp/$name.err
    rc=$?
    bps=$(iperf_bps /tmp/$name.json)
    if [ -n "$bps" ]; then result "${name}_bps" "$bps"; check "$name" 0
    else result "${name}_error" "rc=$rc $(iperf_err /tmp/$name.json) $(head -c 160 /tmp/$name.err)"; check "$name" 1; fi
}

ip link set $IF up
i=0; while [ "$(cat /sys/class/net/$IF/operstate 2>/dev/null)" != up ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done

cat > /tmp/udhcpc.sh <<'EOF'
#!/bin/sh
case "$1" in
  bound|renew)
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    for r in $router; do ip route add default via "$r" dev "$interface"; echo "$r" > /tmp/gw4; break; done ;;
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
esac
exit 0
EOF
chmod 755 /tmp/udhcpc.sh
timeout 20 udhcpc -i $IF -n -q -t 5 -T 1 -A 1 -O mtu -s /tmp/udhcpc.sh >/tmp/udhcpc.log 2>&1
GW=$(cat /tmp/gw4 2>/dev/null)
[ -n "$GW" ]; check dhcp4 $? "gw=$GW mtu=$(cat /sys/class/net/$IF/mtu)"
if [ -z "$GW" ]; then sed 's/^/udhcpc: /' /tmp/udhcpc.log; exit 1; fi
result gw4 "$GW"
result mtu "$(cat /sys/class/net/$IF/mtu)"
# many short connections: room for TIME_WAIT sockets
echo "1024 65000" > /proc/sys/net/ipv4/ip_local_port_range
echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse

if ! skip idle; then
    echo "READY idle_base"
    sleep "$IDLE_SETTLE"
    timeout $((HOLD + 90)) tcpbench hold "$GW" "$SRV_PORT" "$NCONN" "$HOLD"
    check idle $? "n=$NCONN"
    sleep 1
fi
skip up || { warm_iperf; run_iperf iperf_up; }
skip down || { warm_iperf -R; run_iperf iperf_down -R; }
if ! skip rr; then
    warm timeout $((WARMUP + 15)) tcpbench rr "$GW" "$SRV_PORT" "$WARMUP"
    timeout $((RR_DUR + 15)) tcpbench rr "$GW" "$SRV_PORT" "$RR_DUR"; check rr $?
fi
if ! skip crr; then
    warm timeout $((WARMUP + 15)) tcpbench crr "$GW" "$SRV_PORT" "$WARMUP"
    timeout $((CRR_DUR + 15)) tcpbench crr "$GW" "$SRV_PORT" "$CRR_DUR"; check crr $?
fi
if [ "$TFWD" = 1 ]; then
    timeout $((DUR + 30)) iperf3 -s -p "$TFWD_PORT" -1 >/tmp/tfwd.log 2>&1 &
    SPID=$!
    # listening yet? (iperf3 starts slowly under TCG, once over 10 s; a SYN before that gets a
    # RST, and the host's client "Connection refused")
    hex=$(printf '%04X' "$TFWD_PORT")
    i=0
    while [ $i -lt 300 ] && ! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" {f=1} END {exit !f}'; do
        sleep 0.1; i=$((i+1))
    done
    echo "READY tfwd port=$TFWD_PORT"
    wait $SPID
    rc=$?
    # a failure shows the server's whole log (it is short)
    [ $rc = 0 ] || sed 's/^/TFWD_LOG /' /tmp/tfwd.log
    check tfwd_server $rc "$(tail -n 1 /tmp/tfwd.log)"
fi
result fails "$FAILS"
exit $FAILS
