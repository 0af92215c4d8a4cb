#!/bin/sh
# guest-tcp.sh -- TCP data-path test (busybox sh, runs as /test.sh in the VM).
#
# Output lines: as guest-basic.sh (RESULT, CHECK, READY); init prints GUEST_DONE.
#
# Parameters (KEY=VAL on the kernel command line, run-guest.sh --append):
#   GW6=addr          IPv6 gateway (default 2001:db8::1)
#   HTTP_PORT=n       HTTP server on the host's loopback serving /blob (8000)
#   BLOB_SHA=hex      sha256 of /blob (required for the download checks)
#   UP_PORT=n         upload sink on the host's loopback: n for IPv4, n+1 for IPv6 (9004)
#   REFUSED_PORT=n    a port nothing listens on at the host (9999)
#   ECHO_PORT=n       TCP echo server at the host, for the concurrent test (9007)
#   CONNS=n           concurrent connections through the gateway (200; 0 skips)
#   CONN_BYTES=n      bytes each of them sends and checks (16384)
#   FWD_PORT=n        guest servers for -t: n echo with peer address, n+1 sha256 sink,
#                     n+2 "done" signal (2222)
#   IPERF_PORT=n      iperf3 server at the host (5201); the guest serves iperf3 on n+1 for -t
#   IPERF_SECS=s      iperf3 duration (3)
#   FWD_WAIT=s        how long to wait for the host's -t clients (120)
#   HC_PORT=n         half-close server at the host (tcp-peer.py answer-after-eof): n on
#                     127.0.0.1, n+1 on ::1 (9010); the guest sends REQ_BYTES and shuts down
#                     writing, the server answers with their sha256, a line, then a file
#   HALF_SHA=hex      sha256 of that file (required for the half-close checks)
#   REQ_BYTES=n       what the guest sends before its FIN (65536)
#   RST_PORT=n        reset server at the host (tcp-peer.py reset-after): n on 127.0.0.1, n+1
#                     on ::1 (9012); it sends some data, then resets the connection
#   SKIP=a,b          skip steps: download,upload,refused,halfclose,reset,conns,iperf,fwd
# Host-side contract: after "READY tcp_fwd" the host connects to the -t ports and,
# when done, connects to FWD_PORT+2 and closes.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
GW6=${GW6:-2001:db8::1}
HTTP_PORT=${HTTP_PORT:-8000}
UP_PORT=${UP_PORT:-9004}
REFUSED_PORT=${REFUSED_PORT:-9999}
ECHO_PORT=${ECHO_PORT:-9007}
CONNS=${CONNS:-200}
CONN_BYTES=${CONN_BYTES:-16384}
FWD_PORT=${FWD_PORT:-2222}
IPERF_PORT=${IPERF_PORT:-5201}
IPERF_SECS=${IPERF_SECS:-3}
FWD_WAIT=${FWD_WAIT:-120}
HC_PORT=${HC_PORT:-9010}
REQ_BYTES=${REQ_BYTES:-65536}
RST_PORT=${RST_PORT:-9012}
SKIP=",${SKIP:-},"
FAILS=0
IF=eth0

check() {
    t="t=$(cut -d' ' -f1 /proc/uptime)"
    if [ "$2" = 0 ]; then echo "CHECK $1 PASS${3:+ $3} $t"; else echo "CHECK $1 FAIL${3:+ $3} $t"; FAILS=$((FAILS+1)); fi
}
result() { echo "RESULT $1=$2"; }
skip() { case "$SKIP" in *",$1,"*) return 0 ;; esac; return 1; }
now() { cut -d' ' -f1 /proc/uptime; }
rate() { # rate T0 T1 BYTES -> "secs=S MiB/s=R"
    echo "$1 $2 $3" | awk '{d=$2-$1; if (d<=0) d=0.01; printf "secs=%.2f MiB/s=%.1f", d, $3/1048576/d}'
}

# --- guest servers for -t first, so they are up before the host connects ---
if ! skip fwd; then
    socat TCP6-LISTEN:$FWD_PORT,ipv6only=0,reuseaddr,fork \
        SYSTEM:'echo peer=$SOCAT_PEERADDR; echo $SOCAT_PEERADDR >> /tmp/peers; cat' 2>/tmp/fwd.err &
    socat TCP6-LISTEN:$((FWD_PORT+1)),ipv6only=0,reuseaddr,fork SYSTEM:'sha256sum' 2>>/tmp/fwd.err &
    iperf3 -s -p $((IPERF_PORT+1)) -D >/dev/null 2>&1
fi

# --- link, DHCPv4, SLAAC ---
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
GW4=$(cat /tmp/gw4 2>/dev/null)
[ -n "$GW4" ]; check tcp_dhcp4 $? "gw4=$GW4"
i=0
while [ $i -lt 100 ]; do
    ADDR6=$(ip -6 -o addr show dev $IF scope global 2>/dev/null | grep -v tentative | awk '{print $4}' | head -n1)
    [ -n "$ADDR6" ] && ip -6 route show default | grep -q via && break
    sleep 0.1; i=$((i+1))
done
[ -n "$ADDR6" ]; check tcp_slaac $? "addr=$ADDR6"
result mtu "$(cat /sys/class/net/$IF/mtu)"

# --- download from the host's loopback through the gateway (HTTP) ---
if ! skip download; then
    t0=$(now)
    wget -q -O /tmp/blob "http://$GW4:$HTTP_PORT/blob" 2>/tmp/wget.err; rc=$?
    t1=$(now)
    size=$(wc -c </tmp/blob 2>/dev/null || echo 0)
    sha=$(sha256sum /tmp/blob | cut -d' ' -f1)
    r=$(rate "$t0" "$t1" "$size")
    result download4 "bytes=$size $r"
    [ $rc = 0 ] && [ "$sha" = "$BLOB_SHA" ]; check download4 $? "bytes=$size $r sha=$sha rc=$rc $(head -c 200 /tmp/wget.err)"
    t0=$(now)
    sha=$( (wget -q -O - "http://[$GW6]:$HTTP_PORT/blob" 2>/tmp/wget6.err; echo $? > /tmp/wget6.rc) | sha256sum | cut -d' ' -f1)
    t1=$(now)
    rc=$(cat /tmp/wget6.rc)
    r=$(rate "$t0" "$t1" "$size")
    result download6 "bytes=$size $r"
    [ "$rc" = 0 ] && [ "$sha" = "$BLOB_SHA" ]; check download6 $? "$r sha=$sha rc=$rc $(head -c 200 /tmp/wget6.err)"
fi

# --- upload to the host's loopback through the gateway (the host compares sha256) ---
if ! skip upload; then
    [ -s /tmp/blob ] || head -c 16777216 /dev/urandom > /tmp/blob
    size=$(wc -c </tmp/blob)
    result upload_sha "$(sha256sum /tmp/blob | cut -d' ' -f1)"
    t0=$(now); socat -u FILE:/tmp/blob TCP4:$GW4:$UP_PORT 2>/tmp/up4.err; rc=$?; t1=$(now)
    r=$(rate "$t0" "$t1" "$size")
    result upload4 "bytes=$size $r"
    check upload4_sent $rc "$r $(head -c 200 /tmp/up4.err)"
    t0=$(now); socat -u FILE:/tmp/blob "TCP6:[$GW6]:$((UP_PORT+1))" 2>/tmp/up6.err; rc=$?; t1=$(now)
    r=$(rate "$t0" "$t1" "$size")
    result upload6 "bytes=$size $r"
    check upload6_sent $rc "$r $(head -c 200 /tmp/up6.err)"
fi
rm -f /tmp/blob   # 64 MiB of RAM back before the many-connections step

# --- a refused port fails fast ---
if ! skip refused; then
    for v in 4 6; do
        if [ $v = 4 ]; then a="TCP4:$GW4:$REFUSED_PORT"; else a="TCP6:[$GW6]:$REFUSED_PORT"; fi
        t0=$(now); timeout 15 socat -u /dev/null "$a,connect-timeout=12" 2>/tmp/ref.err; rc=$?; t1=$(now)
        d=$(echo "$t0 $t1" | awk '{printf "%.2f", $2-$1}')
        result refused$v "secs=$d rc=$rc $(grep -o 'Connection refused' /tmp/ref.err | head -n1)"
        [ $rc != 0 ] && grep -q 'Connection refused' /tmp/ref.err && awk "BEGIN{exit !($d < 2)}"
        check refused$v $? "secs=$d rc=$rc"
    done
fi

# --- half-close: the guest shuts down writing, the server still sends the rest ---
# socat shuts the socket down for writing at EOF on its input (the guest's FIN), then reads on
# until the server's FIN (-t: for 60 s at most).
if ! skip halfclose; then
    head -c "$REQ_BYTES" /dev/urandom > /tmp/req
    req_sha=$(sha256sum /tmp/req | cut -d' ' -f1)
    for v in 4 6; do
        if [ $v = 4 ]; then a="TCP4:$GW4:$HC_PORT"; else a="TCP6:[$GW6]:$((HC_PORT+1))"; fi
        t0=$(now)
        timeout 90 socat -t 60 -T 60 - "$a" </tmp/req >/tmp/hc.out 2>/tmp/hc.err; rc=$?
        t1=$(now)
        size=$(wc -c </tmp/hc.out)
        echoed=$(head -c 64 /tmp/hc.out)
        rest=$(tail -c +66 /tmp/hc.out | sha256sum | cut -d' ' -f1)
        r=$(rate "$t0" "$t1" "$size")
        result halfclose$v "bytes=$size $r"
        [ $rc = 0 ] && [ "$echoed" = "$req_sha" ] && [ "$rest" = "$HALF_SHA" ]
        check halfclose$v $? "bytes=$size $r rc=$rc server_got_request=$([ "$echoed" = "$req_sha" ] && echo yes || echo no) rest_sha=$rest $(head -c 200 /tmp/hc.err)"
    done
    rm -f /tmp/hc.out
fi

# --- a server reset reaches the guest as a reset, quickly (socat -d warns of it on read) ---
if ! skip reset; then
    for v in 4 6; do
        if [ $v = 4 ]; then a="TCP4:$GW4:$RST_PORT"; else a="TCP6:[$GW6]:$((RST_PORT+1))"; fi
        t0=$(now)
        timeout 30 socat -d -u "$a" - >/tmp/rst.out 2>/tmp/rst.err; rc=$?
        t1=$(now)
        d=$(echo "$t0 $t1" | awk '{printf "%.2f", $2-$1}')
        size=$(wc -c </tmp/rst.out)
        result reset$v "secs=$d bytes=$size rc=$rc"
        grep -q 'Connection reset by peer' /tmp/rst.err && [ $rc != 124 ] && awk "BEGIN{exit !($d < 10)}"
        check reset$v $? "secs=$d bytes=$size rc=$rc $(grep -v ' N ' /tmp/rst.err | head -c 200)"
    done
    rm -f /tmp/rst.out
fi

# --- many connections at once, each moving data and checked ---
if ! skip conns && [ "$CONNS" -gt 0 ]; then
    head -c "$CONN_BYTES" /dev/urandom > /tmp/chunk
    want=$(sha256sum /tmp/chunk | cut -d' ' -f1)
    mkdir -p /tmp/c
    t0=$(now)
    n=0 pids=
    while [ $n -lt "$CONNS" ]; do
        (timeout 90 socat -t 30 -T 60 - TCP4:$GW4:$ECHO_PORT </tmp/chunk 2>/dev/null | sha256sum | cut -d' ' -f1 > /tmp/c/$n) &
        pids="$pids $!"
        n=$((n+1))
    done
    wait $pids   # not a bare wait: the -t servers run in the background too
    t1=$(now)
    ok=$(cat /tmp/c/* 2>/dev/null | grep -c "^$want\$")
    d=$(echo "$t0 $t1" | awk '{printf "%.2f", $2-$1}')
    result conns "ok=$ok of $CONNS bytes_each=$CONN_BYTES secs=$d"
    [ "$ok" = "$CONNS" ]; check conns $? "ok=$ok/$CONNS secs=$d"
fi

# --- iperf3 both ways to the host's loopback through the gateway ---
if ! skip iperf; then
    for dir in up down; do
        [ $dir = down ] && R=-R || R=
        out=$(timeout $((IPERF_SECS+20)) iperf3 -c "$GW4" -p $IPERF_PORT -t "$IPERF_SECS" -f m $R 2>&1); rc=$?
        line=$(echo "$out" | grep receiver | tail -n1 | sed 's/  */ /g')
        mbps=$(echo "$line" | awk '{for(i=1;i<=NF;i++) if ($i=="Mbits/sec") print $(i-1)}')
        result iperf_$dir "mbit/s=$mbps rc=$rc"
        [ $rc = 0 ] && [ -n "$mbps" ]; check iperf_$dir $? "mbit/s=$mbps $(echo "$out" | grep -i error | head -n1)"
    done
fi

# --- -t: host clients into guest servers; wait until the host says done ---
if ! skip fwd; then
    # Like passt, the daemon sends host-initiated connections to the address the guest last
    # used: make sure it has seen the SLAAC address (nothing above may have used IPv6).
    ping6 -c 1 -W 2 "$GW6" >/dev/null 2>&1
    echo "READY tcp_fwd port=$FWD_PORT"
    timeout "$FWD_WAIT" socat -u TCP6-LISTEN:$((FWD_PORT+2)),ipv6only=0,reuseaddr - >/tmp/done 2>/dev/null
    check fwd_done $? "$(cat /tmp/done 2>/dev/null | head -c 100)"
    while read -r l; do result fwd_peer "$l"; done < /tmp/peers
fi

result fails "$FAILS"
exit $FAILS
