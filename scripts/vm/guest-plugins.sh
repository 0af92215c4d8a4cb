#!/bin/sh
# guest-plugins.sh -- guest side of the plugin tests (busybox sh, runs as /test.sh in the VM).
#
# Static addresses as the sandbox hands out (198.51.100.2/24 via .1, 2001:db8::2/64 via ::1),
# then:
#   sctp4, sctp6   an SCTP INIT (IP protocol 132, raw socket through socat) to the gateway gets
#                  ICMP protocol unreachable (3/2) / ICMPv6 parameter problem (4/1, pointer 6)
#                  quoting it: what passt4j's SCTP plugin answers where the host has no SCTP
#   echo4, echo6   UDP to the gateway's port ECHO_PLUGIN_PORT (7) is echoed by the echo plugin
#   udp4_flow      UDP to the gateway's port ECHO_PORT (10007) reaches the host (a UDP flow)
# Output: CHECK name PASS|FAIL detail, RESULT key=value (as guest-basic.sh).
PATH=/bin:/sbin:/usr/bin:/usr/sbin
IF=eth0
GW4=198.51.100.1
GW6=${GW6:-2001:db8::1}
ECHO_PLUGIN_PORT=${ECHO_PLUGIN_PORT:-7}
ECHO_PORT=${ECHO_PORT:-10007}
SKIP=",${SKIP:-},"
FAILS=0

check() {
    t="t=$(cut -d' ' -f1 /proc/uptime)"
    if [ "$2" = 0 ]; then echo "CHECK $1 PASS${3:+ $3} $t"; else echo "CHECK $1 FAIL${3:+ $3} $t"; FAILS=$((FAILS+1)); fi
}
result() { echo "RESULT $1=$2"; }
skip() { case "$SKIP" in *",$1,"*) return 0 ;; esac; return 1; }
hexdump_of() { od -An -tx1 -v "$1" 2>/dev/null | tr -d ' \n'; }

ip link set $IF up
i=0; while [ "$(cat /sys/class/net/$IF/operstate 2>/dev/null)" != up ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
ip addr add 198.51.100.2/24 dev $IF
ip route add default via $GW4
ip -6 addr add 2001:db8::2/64 dev $IF nodad
i=0; while ip -6 addr show dev $IF | grep -q tentative && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done

# SCTP common header 40000 -> 5000, verification tag 0, CRC32c; one INIT chunk (20 bytes)
INIT='\234\100\023\210\000\000\000\000\321\307\276\310\001\000\000\024\021\042\063\104\000\001\000\000\000\012\000\012\125\146\167\210'

# sctp_test NAME FAMILY RECV_ADDR SEND_ADDR PATTERN: the raw ICMP receiver runs first, then
# the INIT goes out; PATTERN (hex, '.' any digit) must appear in what the receiver got.
sctp_test() {
    rm -f /tmp/$1.bin
    timeout 8 socat -u "$3" OPEN:/tmp/$1.bin,creat 2>/tmp/$1.err &
    rpid=$!
    sleep 0.5
    n=0
    while [ $n -lt 3 ]; do
        printf "$INIT" | socat -u - "$4" 2>>/tmp/$1.err
        sleep 1
        hexdump_of /tmp/$1.bin | grep -q "$5" && break
        n=$((n+1))
    done
    kill $rpid 2>/dev/null; wait $rpid 2>/dev/null
    got=$(hexdump_of /tmp/$1.bin)
    result "$1_icmp" "$(echo "$got" | grep -o "$5" | head -n1)"
    result "$1_received" "$(echo "$got" | head -c 200)"
    echo "$got" | grep -q "$5"; check "$1" $? "tries=$((n+1)) err='$(head -c 160 /tmp/$1.err | tr '\n' ' ')'"
}

if ! skip sctp; then
    # IPv4: socat hands over the ICMP message (no IP header): 3/2, unused 0, the quoted IPv4
    # header (45...), protocol 132 (0x84) at its byte 9
    sctp_test sctp4 4 IP4-RECV:1 IP4-SENDTO:$GW4:132 "0302....0000000045................84"
    # IPv6: ICMPv6 4/1, pointer 6, the quoted IPv6 header (6...) with next header 132 (0x84)
    sctp_test sctp6 6 IP6-RECV:58 "IP6-SENDTO:[$GW6]:132" "0401....000000066...........84"
fi

echo_test() { # echo_test NAME SOCAT_ADDRESS
    msg="passt4j-$1-$$"
    reply=$(echo "$msg" | timeout 6 socat -t 1 -T 4 - "$2" 2>/tmp/$1.err | head -n1)
    result "$1_reply" "$reply"
    [ "$reply" = "$msg" ]; check "$1" $? "$2"
}
if ! skip echo; then
    echo_test echo4 "UDP4:$GW4:$ECHO_PLUGIN_PORT"
    echo_test echo6 "UDP6:[$GW6]:$ECHO_PLUGIN_PORT"
fi
if ! skip udp; then
    echo_test udp4_flow "UDP4:$GW4:$ECHO_PORT"
fi
echo "READY done"
exit $FAILS
