#!/bin/sh
# guest-basic.sh -- default guest test (busybox sh, runs as /test.sh in the VM).
#
# Output lines (console; parse after stripping \r):
#   RESULT <key>=<value>            observed fact (value runs to end of line)
#   CHECK <name> PASS|FAIL [detail] t=<uptime>   one per test step
#   READY <what> [k=v...]           synchronisation point for the host side
# init then prints "GUEST_DONE rc=<number of FAILs> uptime=<s>".
#
# Parameters (KEY=VAL on the kernel command line, run-guest.sh --append):
#   GW6=addr         IPv6 gateway to test (default: the default route's via)
#   ECHO_PORT=n      UDP (and TCP) echo server behind the gateway (10007)
#   TCP_ECHO=0|1     also test TCP echo to GW4/GW6:ECHO_PORT (0)
#   FWD_PORT=n       UDP port the guest listens on for host->guest forwards (7000)
#   FWD_WAIT=s       how long to wait for forwarded datagrams (15)
#   SLAAC_WAIT=s     how long to wait for a global IPv6 address (10)
#   SKIP=a,b         skip steps: dhcp,ping4,slaac,ping6,udp4,udp6,tcp,fwd
# Host-side contract for the forward test: after "READY udp_fwd port=N" the
# host sends "passt4j-fwd4" to 127.0.0.1:N and "passt4j-fwd6" to [::1]:N.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
ECHO_PORT=${ECHO_PORT:-10007}
FWD_PORT=${FWD_PORT:-7000}
FWD_WAIT=${FWD_WAIT:-15}
SLAAC_WAIT=${SLAAC_WAIT:-10}
TCP_ECHO=${TCP_ECHO:-0}
SKIP=",${SKIP:-},"
FAILS=0
IF=eth0

check() { # check NAME STATUS(0=pass) [DETAIL]; detail ends with t=<guest uptime>
    t="t=$(cut -d' ' -f1 /proc/uptime)"
    if [ "$2" = 0 ]; then echo "CHECK $1 PASS${3:+ $3} $t"; else echo "CHECK $1 FAIL${3:+ $3} $t"; FAILS=$((FAILS+1)); fi
}
result() { echo "RESULT $1=$2"; }
skip() { case "$SKIP" in *",$1,"*) return 0 ;; esac; return 1; }
oneline() { tr '\n' ' ' | sed 's/  */ /g; s/ $//'; }

# UDP/TCP echo: echo_test NAME SOCAT_ADDRESS
# prints RESULT NAME_reply=<reply>, RESULT NAME_from=<source of the first
# datagram received> (UDP only) and CHECK NAME
echo_test() {
    msg="passt4j-$1-$$"
    reply=$(echo "$msg" | timeout 6 socat -d -d -t 1 -T 4 - "$2" 2>/tmp/socat.err | head -n1)
    result "$1_reply" "$reply"
    from=$(sed -n 's/.*received packet with [0-9]* bytes from AF=[0-9]* //p' /tmp/socat.err | head -n1)
    [ -n "$from" ] && result "$1_from" "$from"
    if [ "$reply" = "$msg" ]; then check "$1" 0 "$2"
    else check "$1" 1 "$2 sent=$msg got='$reply' err='$(grep ' E ' /tmp/socat.err | sed 's/^.* E //' | oneline | cut -c1-160)'"; fi
}

# --- forwarded-datagram listener first, so nothing forwarded gets lost ---
if ! skip fwd; then
    socat -u "UDP6-RECV:$FWD_PORT,ipv6only=0" - > /tmp/fwd.txt 2>/tmp/fwd.err &
    FWD_PID=$!
fi

# --- link ---
ip link set $IF up
i=0; while [ "$(cat /sys/class/net/$IF/operstate 2>/dev/null)" != up ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
st=$(cat /sys/class/net/$IF/operstate 2>/dev/null)
result mac "$(cat /sys/class/net/$IF/address 2>/dev/null)"
[ "$st" = up ]; check link_up $? "operstate=$st"

# --- DHCPv4 ---
cat > /tmp/udhcpc.sh <<'EOF'
#!/bin/sh
case "$1" in
  bound|renew)
    echo "RESULT dhcp_ip=$ip"
    echo "RESULT dhcp_subnet=$subnet"
    echo "RESULT dhcp_mask=$mask"
    echo "RESULT dhcp_router=$router"
    echo "RESULT dhcp_dns=$dns"
    echo "RESULT dhcp_domain=$domain"
    echo "RESULT dhcp_search=$search"
    echo "RESULT dhcp_mtu=$mtu"
    echo "RESULT dhcp_broadcast=$broadcast"
    echo "RESULT dhcp_lease=$lease"
    echo "RESULT dhcp_serverid=$serverid"
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    ip addr flush dev "$interface" scope global 2>/dev/null
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" ${broadcast:+broadcast $broadcast} dev "$interface"
    for r in $router; do ip route add default via "$r" dev "$interface"; break; done
    echo "$router" | cut -d' ' -f1 > /tmp/gw4
    : > /tmp/resolv.conf
    [ -n "$search" ] && echo "search $search" >> /tmp/resolv.conf
    [ -z "$search" ] && [ -n "$domain" ] && echo "search $domain" >> /tmp/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /tmp/resolv.conf; done
    cp /tmp/resolv.conf /etc/resolv.conf
    echo bound > /tmp/dhcp.state ;;
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  leasefail|nak) echo "RESULT dhcp_event=$1" ;;
esac
exit 0
EOF
chmod 755 /tmp/udhcpc.sh
GW4=
if ! skip dhcp; then
    t0=$(cut -d' ' -f1 /proc/uptime)
    timeout 20 udhcpc -i $IF -n -q -t 5 -T 1 -A 1 -O mtu -O search -O staticroutes -s /tmp/udhcpc.sh >/tmp/udhcpc.log 2>&1
    rc=$?
    t1=$(cut -d' ' -f1 /proc/uptime)
    result dhcp_seconds "$(echo "$t0 $t1" | awk '{printf "%.2f", $2-$1}')"
    [ $rc = 0 ] && [ -f /tmp/dhcp.state ]; check dhcp4 $? "rc=$rc"
    [ $rc = 0 ] || sed 's/^/udhcpc: /' /tmp/udhcpc.log
    grep '^RESULT ' /tmp/udhcpc.log
    GW4=$(cat /tmp/gw4 2>/dev/null)
    result ipv4_addr "$(ip -4 -o addr show dev $IF | awk '{print $4}' | oneline)"
    result ipv4_route "$(ip -4 route | tr '\n' ';')"
    result mtu "$(cat /sys/class/net/$IF/mtu)"
fi

# --- ping the IPv4 gateway ---
if ! skip ping4; then
    if [ -n "$GW4" ]; then
        out=$(ping -c 2 -W 2 "$GW4" 2>&1); rc=$?
        check ping4_gw $rc "$GW4 $(echo "$out" | grep -E 'packets transmitted' | oneline)"
    else check ping4_gw 1 "no IPv4 gateway"; fi
fi

# --- SLAAC (router advertisement from the daemon) ---
ADDR6= RTR6=
if ! skip slaac; then
    i=0
    while [ $i -lt $((SLAAC_WAIT*10)) ]; do
        ADDR6=$(ip -6 -o addr show dev $IF scope global 2>/dev/null | grep -v tentative | awk '{print $4}' | head -n1)
        RTR6=$(ip -6 route show default 2>/dev/null | awk '/via/{print $3; exit}')
        [ -n "$ADDR6" ] && [ -n "$RTR6" ] && break
        sleep 0.1; i=$((i+1))
    done
    result slaac_seconds "$(echo $i | awk '{printf "%.1f", $1/10}')"
    ip -6 -o addr show dev $IF | awk '{$1=$2=""; print}' | sed 's/^ *//; s/\\//g' | while read -r l; do result ipv6_addr "$l"; done
    ip -6 route show | while read -r l; do result ipv6_route "$l"; done
    [ -n "$ADDR6" ] && [ -n "$RTR6" ]; check slaac $? "addr=$ADDR6 router=$RTR6"
fi
GW6=${GW6:-$RTR6}
result gw4 "$GW4"
result gw6 "$GW6"

# --- ping the IPv6 gateway (and the link-local router if different) ---
if ! skip ping6; then
    if [ -n "$GW6" ]; then
        case "$GW6" in fe80:*) via="-I $IF" ;; *) via= ;; esac
        out=$(ping6 -c 2 -W 2 $via "$GW6" 2>&1); rc=$?
        check ping6_gw $rc "$GW6 $(echo "$out" | grep -E 'packets transmitted' | oneline)"
    else check ping6_gw 1 "no IPv6 gateway"; fi
    if [ -n "$RTR6" ] && [ "$RTR6" != "$GW6" ]; then
        out=$(ping6 -c 2 -W 2 -I $IF "$RTR6" 2>&1); rc=$?
        check ping6_router $rc "$RTR6 $(echo "$out" | grep -E 'packets transmitted' | oneline)"
    fi
fi

# --- UDP (and TCP) echo through the gateway to the host's loopback ---
if ! skip udp4; then
    if [ -n "$GW4" ]; then echo_test udp4_echo "UDP4:$GW4:$ECHO_PORT"
    else check udp4_echo 1 "no IPv4 gateway"; fi
fi
if ! skip udp6; then
    if [ -n "$GW6" ]; then
        case "$GW6" in fe80:*) a6="$GW6%$IF" ;; *) a6=$GW6 ;; esac
        # connected socket: replies must come from exactly [GW6]:ECHO_PORT
        echo_test udp6_echo "UDP6:[$a6]:$ECHO_PORT"
        # unconnected socket: accepts replies from any source (diagnostic)
        echo_test udp6_echo_anysrc "UDP6-DATAGRAM:[$a6]:$ECHO_PORT"
    else check udp6_echo 1 "no IPv6 gateway"; fi
fi
if [ "$TCP_ECHO" = 1 ] && ! skip tcp; then
    [ -n "$GW4" ] && echo_test tcp4_echo "TCP4:$GW4:$ECHO_PORT,connect-timeout=3"
    if [ -n "$GW6" ]; then
        case "$GW6" in fe80:*) a6="$GW6%$IF" ;; *) a6=$GW6 ;; esac
        echo_test tcp6_echo "TCP6:[$a6]:$ECHO_PORT,connect-timeout=3"
    fi
fi

# --- host -> guest UDP forward ---
if ! skip fwd; then
    echo "READY udp_fwd port=$FWD_PORT"
    i=0
    while [ $i -lt $((FWD_WAIT*10)) ]; do
        grep -q passt4j-fwd4 /tmp/fwd.txt && grep -q passt4j-fwd6 /tmp/fwd.txt && break
        sleep 0.1; i=$((i+1))
    done
    kill $FWD_PID 2>/dev/null
    while read -r l; do result udp_fwd_rx "$l"; done < /tmp/fwd.txt
    [ -s /tmp/fwd.err ] && result udp_fwd_err "$(oneline </tmp/fwd.err)"
    grep -q passt4j-fwd4 /tmp/fwd.txt; check udp_fwd4 $? "port $FWD_PORT"
    grep -q passt4j-fwd6 /tmp/fwd.txt; check udp_fwd6 $? "port $FWD_PORT"
fi

result fails "$FAILS"
exit $FAILS
