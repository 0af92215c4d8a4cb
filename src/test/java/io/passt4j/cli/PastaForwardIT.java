package io.passt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.cli.PastaSandbox.As;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * pasta's port forwarding, run as users run it ({@code scripts/pasta}) inside {@code
 * scripts/vm/sandbox.sh}: pasta itself as root and as an unprivileged mapped user (DESIGN.md
 * §3.8; the rest of each script, servers and clients on the sandbox host, runs as the sandbox's
 * root). Loopback traffic takes the splice path both ways ({@code -t}/{@code -u} into the
 * namespace, {@code -T}/{@code -U} out of it), both families, data checked; traffic from a
 * non-loopback address goes over the tap with its source kept; podman's invocation with
 * published ports; {@code --no-splice}. Traffic goes only to loopback, to the sandbox's
 * addresses and to its private peer. Every wait is bounded.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PastaForwardIT {

  private static final long RUN_SECONDS = 150;

  /** Shell helpers every script sources: bounded waits. */
  private static final String LIB = """
      # listening t|u PORT: wait (10 s at most) until a socket listens on the port here
      listening() {
        i=0
        while ! ss -Hn"$1"l "sport = :$2" | grep -q .; do
          i=$((i+1)); [ $i -ge 200 ] && { echo "nothing listens on $1 $2"; return 1; }
          sleep 0.05
        done
      }
      # waitfile FILE: wait (90 s at most) for FILE
      waitfile() {
        i=0
        while [ ! -e "$1" ]; do
          i=$((i+1)); [ $i -ge 900 ] && { echo "no $1"; return 1; }
          sleep 0.1
        done
      }
      # reach TEXT SOCAT-ADDRESS: send TEXT every 0.1 s (10 s at most) until a server answers
      reach() {
        i=0
        while [ $i -lt 100 ]; do
          out=$(echo "$1" | timeout 5 socat -t 3 - "$2" 2>/dev/null) && [ -n "$out" ] \\
              && { echo "$out"; return 0; }
          i=$((i+1)); sleep 0.1
        done
        echo "$1: nobody answers at $2"; return 1
      }
      # refused SOCAT-ADDRESS: connect every 0.1 s (10 s at most) until the connection is refused
      refused() {
        i=0
        while [ $i -lt 100 ]; do
          echo x | timeout 5 socat -t 1 - "$1" 2>&1 | grep -q "Connection refused" \\
              && { echo "refused at $1"; return 0; }
          i=$((i+1)); sleep 0.1
        done
        echo "never refused at $1"; return 1
      }
      # since FILE: milliseconds since the time in FILE (written with date +%s%N)
      since() { echo $(( ($(date +%s%N) - $(cat "$1")) / 1000000 )); }
      # same NAME A B: whether files A and B have the same SHA-256
      same() {
        if [ "$(sha256sum < "$2")" = "$(sha256sum < "$3")" ]; then echo "$1 same"
        else echo "$1 DIFFERS: $(wc -c < "$3") bytes"; fi
      }
      """;

  /** UDP server: answers each datagram with the sender's port and the data in upper case. */
  private static final String UDP_ECHO = """
      import socket, sys
      fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
      s = socket.socket(fam, socket.SOCK_DGRAM)
      s.bind((sys.argv[1], int(sys.argv[2])))
      s.settimeout(60)
      while True:
          try:
              data, peer = s.recvfrom(65536)
          except socket.timeout:
              break
          s.sendto(b'%d %s' % (peer[1], data.upper()), peer)
      """;

  /**
   * UDP client: sends N datagrams of growing size from a fixed port, checks every reply (from
   * the address and port it sent to, with its own port and its data in upper case), waiting
   * for each at most the optional 6th argument's seconds (5).
   */
  private static final String UDP_CLIENT = """
      import os, socket, sys
      addr, port, sport, n, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
      wait = float(sys.argv[6]) if len(sys.argv) > 6 else 5
      fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
      s = socket.socket(fam, socket.SOCK_DGRAM)
      s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
      s.bind((addr, sport))
      s.settimeout(wait)
      ok = 0
      for i in range(n):
          data = (b'%s-%d-' % (name.encode(), i)) + os.urandom(16 + 1000 * i).hex().encode()
          s.sendto(data, (addr, port))
          try:
              reply, frm = s.recvfrom(65536)
          except socket.timeout:
              print('udp %s: no reply to datagram %d' % (name, i)); sys.exit(1)
          if frm[1] != port or reply != b'%d %s' % (sport, data.upper()):
              print('udp %s: bad reply to %d from %s: %r' % (name, i, frm, reply[:40])); sys.exit(1)
          ok += 1
      print('udp %s ok: %d datagrams, source port kept' % (name, ok))
      """;

  private Path dir;

  @BeforeAll
  static void prerequisites() {
    assertThat(new com.sun.security.auth.module.UnixSystem().getUid())
        .as("PastaForwardIT makes sandbox namespaces and maps users: run it as root").isZero();
    assertThat(LauncherIT.ROOT.resolve("src/target/passt4j-all.jar"))
        .as("the launcher jar (mvn package)").exists();
    assertThat(Path.of("/usr/bin/socat")).as("socat (apt-get install socat)").exists();
    assertThat(Path.of("/usr/bin/python3")).as("python3 (apt-get install python3)").exists();
  }

  @BeforeEach
  void tempDir() throws IOException {
    dir = PastaSandbox.tempDir("passt4j-pasta-fwd-it");
    Files.writeString(dir.resolve("lib.sh"), LIB);
    Files.writeString(dir.resolve("udpecho.py"), UDP_ECHO);
    Files.writeString(dir.resolve("udpclient.py"), UDP_CLIENT);
  }

  @AfterEach
  void cleanUp() throws IOException {
    PastaSandbox.delete(dir);
  }

  /**
   * TCP over the splice path both ways, both families, ports translated: 4 MiB up and down
   * through {@code -t} (host loopback to the namespace's) and {@code -T} (the namespace's
   * loopback to the host's), compared by SHA-256, and an echo through each that needs the FIN
   * to go through both ways ({@code tr} answers at the end of its input); the namespace's
   * server sees the connection come from its own loopback.
   */
  @ParameterizedTest
  @EnumSource(As.class)
  void tcpSplicedBothWays(As as) throws Exception {
    String token = UUID.randomUUID().toString().substring(0, 8);
    PastaSandbox.Run r = run(as, """
        head -c 4194304 /dev/urandom > $DIR/up; head -c 4194304 /dev/urandom > $DIR/down
        socat -u TCP4-LISTEN:7300,bind=127.0.0.1,reuseaddr CREATE:$DIR/T-up4 &
        socat -u TCP6-LISTEN:7301,bind=[::1],reuseaddr CREATE:$DIR/T-up6 &
        socat -u OPEN:$DIR/down TCP4-LISTEN:7302,bind=127.0.0.1,reuseaddr &
        socat -u OPEN:$DIR/down TCP6-LISTEN:7303,bind=[::1],reuseaddr &
        socat TCP4-LISTEN:7304,bind=127.0.0.1,reuseaddr,fork EXEC:'tr a-z A-Z' & echo4=$!
        for p in 7300 7301 7302 7303 7304; do listening t $p; done
        $AS "$OURS" -q --config-net -t 7000-7004:7100-7104 -u none -T 7200-7204:7300-7304 \\
            -U none -- sh -ec '
          . $DIR/lib.sh
          socat -u TCP4-LISTEN:7100,bind=127.0.0.1,reuseaddr CREATE:$DIR/t-up4 & a=$!
          socat -u TCP6-LISTEN:7101,bind=[::1],reuseaddr CREATE:$DIR/t-up6 & b=$!
          socat -u OPEN:$DIR/down TCP4-LISTEN:7102,bind=127.0.0.1,reuseaddr &
          socat -u OPEN:$DIR/down TCP6-LISTEN:7103,bind=[::1],reuseaddr &
          socat TCP6-LISTEN:7104,bind=[::1],reuseaddr \\
              SYSTEM:"echo peer \\$SOCAT_PEERADDR; tr a-z A-Z" &
          for p in 7100 7101 7102 7103 7104; do listening t $p; done
          touch $DIR/ready
          timeout 60 socat -u OPEN:$DIR/up TCP4:127.0.0.1:7200
          timeout 60 socat -u OPEN:$DIR/up TCP6:[::1]:7201
          timeout 60 socat -u TCP4:127.0.0.1:7202 CREATE:$DIR/T-down4
          timeout 60 socat -u TCP6:[::1]:7203 CREATE:$DIR/T-down6
          echo "ns to host TOKEN" | timeout 20 socat -t 15 - TCP4:127.0.0.1:7204
          waitfile $DIR/host-done
          wait $a $b
        ' & pasta=$!
        waitfile $DIR/ready
        timeout 60 socat -u OPEN:$DIR/up TCP4:127.0.0.1:7000
        timeout 60 socat -u OPEN:$DIR/up TCP6:[::1]:7001
        timeout 60 socat -u TCP4:127.0.0.1:7002 CREATE:$DIR/t-down4
        timeout 60 socat -u TCP6:[::1]:7003 CREATE:$DIR/t-down6
        echo "host to ns TOKEN" | timeout 20 socat -t 15 - TCP6:[::1]:7004
        touch $DIR/host-done
        wait $pasta; echo "pasta $?"
        kill $echo4 2>/dev/null
        for f in t-up4 t-up6 T-up4 T-up6; do same $f $DIR/up $DIR/$f; done
        for f in t-down4 t-down6 T-down4 T-down6; do same $f $DIR/down $DIR/$f; done
        """.replace("TOKEN", token));
    assertThat(r.out()).as(r.out()).contains("pasta 0",
        "t-up4 same", "t-up6 same", "T-up4 same", "T-up6 same",
        "t-down4 same", "t-down6 same", "T-down4 same", "T-down6 same",
        "NS TO HOST " + token.toUpperCase(), "HOST TO NS " + token.toUpperCase(),
        "peer [0000:0000:0000:0000:0000:0000:0000:0001]");
  }

  /**
   * UDP over the splice path both ways, both families, ports translated: eight datagrams of up
   * to 15 KiB from each client, each answered; the server sees the client's own port (the
   * relay's socket on its side binds it, as Debian's pasta does) and the reply comes back from
   * the forwarded port.
   */
  @ParameterizedTest
  @EnumSource(As.class)
  void udpSplicedBothWays(As as) throws Exception {
    PastaSandbox.Run r = run(as, """
        python3 $DIR/udpecho.py 127.0.0.1 7500 & e4=$!
        python3 $DIR/udpecho.py ::1 7501 & e6=$!
        listening u 7500; listening u 7501
        $AS "$OURS" -q --config-net -t none -u 7400-7401:7410-7411 -T none \\
            -U 7600-7601:7500-7501 -- sh -ec '
          . $DIR/lib.sh
          python3 $DIR/udpecho.py 127.0.0.1 7410 & a=$!
          python3 $DIR/udpecho.py ::1 7411 & b=$!
          listening u 7410; listening u 7411
          touch $DIR/ready
          python3 $DIR/udpclient.py 127.0.0.1 7600 40600 8 ns-to-host-v4
          python3 $DIR/udpclient.py ::1 7601 40601 8 ns-to-host-v6
          waitfile $DIR/host-done
          kill $a $b
        ' & pasta=$!
        waitfile $DIR/ready
        python3 $DIR/udpclient.py 127.0.0.1 7400 40400 8 host-to-ns-v4
        python3 $DIR/udpclient.py ::1 7401 40401 8 host-to-ns-v6
        touch $DIR/host-done
        wait $pasta; echo "pasta $?"
        kill $e4 $e6
        """);
    assertThat(r.out()).as(r.out()).contains("pasta 0",
        "udp host-to-ns-v4 ok: 8 datagrams", "udp host-to-ns-v6 ok: 8 datagrams",
        "udp ns-to-host-v4 ok: 8 datagrams", "udp ns-to-host-v6 ok: 8 datagrams");
  }

  /**
   * A {@code -t} connection from a host beyond the uplink (the sandbox's peer namespace, from
   * an address of its own) goes over the tap, and the namespace sees that address unchanged,
   * both families; one from the host's loopback on the same port is spliced and seen from the
   * namespace's loopback.
   */
  @ParameterizedTest
  @EnumSource(As.class)
  void nonLoopbackSourcesGoOverTheTap(As as) throws Exception {
    String token = UUID.randomUUID().toString().substring(0, 8);
    PastaSandbox.Run r = run(as, """
        P="nsenter --net=$SANDBOX_PEER_NETNS"
        $P ip addr add 198.51.100.7/24 dev uplink0
        $P ip -6 addr add 2001:db8::7/64 dev uplink0 nodad
        $AS "$OURS" -q --config-net -p $DIR/tap.pcap -t 7700-7701 -u none -T none -U none \\
            -- sh -ec '
          . $DIR/lib.sh
          socat TCP4-LISTEN:7700,reuseaddr,fork SYSTEM:"read l; echo \\$l from \\$SOCAT_PEERADDR" &
          socat TCP6-LISTEN:7701,ipv6only=1,reuseaddr,fork \\
              SYSTEM:"read l; echo \\$l from \\$SOCAT_PEERADDR" &
          listening t 7700; listening t 7701
          touch $DIR/ready
          waitfile $DIR/host-done
        ' & pasta=$!
        waitfile $DIR/ready
        echo "v4-TOKEN" | timeout 30 $P socat -t 25 - TCP4:198.51.100.2:7700,bind=198.51.100.7
        echo "v6-TOKEN" | timeout 30 $P socat -t 25 - TCP6:[2001:db8::2]:7701,bind=[2001:db8::7]
        echo "lo-TOKEN" | timeout 30 socat -t 25 - TCP4:127.0.0.1:7700
        touch $DIR/host-done
        wait $pasta; echo "pasta $?"
        """.replace("TOKEN", token));
    assertThat(r.out()).as(r.out()).contains("pasta 0",
        "v4-" + token + " from 198.51.100.7",
        "v6-" + token + " from [2001:0db8:0000:0000:0000:0000:0000:0007]",
        "lo-" + token + " from 127.0.0.1");
    // pasta knows the namespace's MAC address from the start: the first SYN of each
    // connection goes to it (not to the broadcast address, which the kernel drops) and is
    // answered at once, so each goes out exactly once
    List<String> syns = synsToGuest(dir.resolve("tap.pcap"), 7700, 7701);
    assertThat(syns).as("SYNs to the namespace (destination MAC, port)").hasSize(2)
        .noneMatch(x -> x.startsWith("ff:ff:ff:ff:ff:ff"));
  }

  /**
   * The SYNs (without ACK) in a pcap file that go to one of {@code ports}: "MAC port" each, the
   * frame's destination MAC address and the TCP destination port.
   */
  static List<String> synsToGuest(Path pcap, int... ports) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(pcap)); // frames: network order
    ByteBuffer h = b.duplicate(); // pcap's own headers: the writer's order
    if (h.getInt(0) != 0xa1b2c3d4) h.order(ByteOrder.LITTLE_ENDIAN);
    List<String> out = new ArrayList<>();
    int at = 24;
    while (at + 16 <= b.limit()) {
      int incl = h.getInt(at + 8);
      int f = at + 16;
      at = f + incl;
      if (at > b.limit() || incl < 14) break;
      int type = b.getShort(f + 12) & 0xffff;
      int l4;
      if (type == 0x0800 && b.get(f + 23) == 6) l4 = f + 14 + (b.get(f + 14) & 0xf) * 4;
      else if (type == 0x86dd && b.get(f + 20) == 6) l4 = f + 14 + 40;
      else continue;
      if (l4 + 14 > f + incl) continue;
      int dport = b.getShort(l4 + 2) & 0xffff;
      int flags = b.get(l4 + 13) & 0xff;
      if ((flags & 0x12) != 0x02 || java.util.Arrays.stream(ports).noneMatch(p -> p == dport)) {
        continue;
      }
      StringBuilder mac = new StringBuilder();
      for (int i = 0; i < 6; i++) mac.append(i > 0 ? ":" : "").append(String.format("%02x", b.get(f + i)));
      out.add(mac + " " + dport);
    }
    return out;
  }

  /**
   * {@code --no-splice}: a connection from the host's loopback goes over the tap like any other
   * (the namespace sees it from the gateway, the address loopback is shown as); {@code -T},
   * which has no other way, still splices.
   */
  @ParameterizedTest
  @EnumSource(As.class)
  void noSpliceTakesTheTap(As as) throws Exception {
    String token = UUID.randomUUID().toString().substring(0, 8);
    PastaSandbox.Run r = run(as, """
        socat TCP4-LISTEN:7910,bind=127.0.0.1,reuseaddr,fork \\
            SYSTEM:"read l; echo \\$l from \\$SOCAT_PEERADDR" & s=$!
        listening t 7910
        $AS "$OURS" -q --config-net --no-splice -t 7900 -u none -T 7910 -U none -- sh -ec '
          . $DIR/lib.sh
          socat TCP4-LISTEN:7900,reuseaddr,fork SYSTEM:"read l; echo \\$l from \\$SOCAT_PEERADDR" &
          listening t 7900
          touch $DIR/ready
          echo "out-TOKEN" | timeout 30 socat -t 25 - TCP4:127.0.0.1:7910
          waitfile $DIR/host-done
        ' & pasta=$!
        waitfile $DIR/ready
        echo "in-TOKEN" | timeout 30 socat -t 25 - TCP4:127.0.0.1:7900
        touch $DIR/host-done
        wait $pasta; echo "pasta $?"
        kill $s
        """.replace("TOKEN", token));
    assertThat(r.out()).as(r.out()).contains("pasta 0",
        "in-" + token + " from 198.51.100.1", "out-" + token + " from 127.0.0.1");
  }

  /**
   * podman's invocation with published ports, {@code -t 8080-8081:80-81}, against a namespace
   * the test made (from the user namespace that owns it, as podman does): connections to the
   * host's loopback reach the container's servers on ports 80 and 81, both families.
   */
  @ParameterizedTest
  @EnumSource(As.class)
  void podmansInvocationWithPublishedPorts(As as) throws Exception {
    String token = UUID.randomUUID().toString().substring(0, 8);
    String script = """
        . $DIR/lib.sh
        d=$(mktemp -d -p "$DIR"); chmod 1777 "$d"; touch "$d/ns"; unshare --net="$d/ns" true
        N="nsenter --net=$d/ns"
        $N socat TCP4-LISTEN:80,reuseaddr,fork SYSTEM:"read l; echo 80 \\$l from \\$SOCAT_PEERADDR" &
        s80=$!
        $N socat TCP6-LISTEN:81,reuseaddr,fork SYSTEM:"read l; echo 81 \\$l from \\$SOCAT_PEERADDR" &
        s81=$!
        $N sh -c '. $DIR/lib.sh; listening t 80 && listening t 81'
        "$OURS" --config-net --dns-forward 169.254.1.1 -t 8080-8081:80-81 -u none -T none \\
            -U none --no-map-gw --quiet --netns "$d/ns" --map-guest-addr 169.254.1.2 --pid "$d/pid"
        echo "launcher $?"
        pid=$(cat "$d/pid")
        echo "a-TOKEN" | timeout 20 socat -t 15 - TCP4:127.0.0.1:8080
        echo "b-TOKEN" | timeout 20 socat -t 15 - TCP4:127.0.0.1:8081
        echo "c-TOKEN" | timeout 20 socat -t 15 - TCP6:[::1]:8081
        kill $s80 $s81
        umount "$d/ns"; rm "$d/ns"
        i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
        kill -0 "$pid" 2>/dev/null && { echo "still running"; kill "$pid"; } || echo "gone"
        """.replace("TOKEN", token);
    PastaSandbox.Run r;
    if (as == As.USER) {
      // podman: pasta as root of its own user namespace, with a mount namespace of its own
      Path inner = dir.resolve("inner-" + UUID.randomUUID() + ".sh");
      Files.writeString(inner, script);
      r = PastaSandbox.run(dir, "", "unshare --user --map-root-user --mount sh \"" + inner
          + "\"\n", RUN_SECONDS);
    } else {
      r = PastaSandbox.run(dir, "", script, RUN_SECONDS);
    }
    assertThat(r.out()).as(r.out()).contains("launcher 0",
        "80 a-" + token + " from 127.0.0.1",
        "81 b-" + token + " from [0000:0000:0000:0000:0000:ffff:7f00:0001]",
        "81 c-" + token + " from [0000:0000:0000:0000:0000:0000:0000:0001]", "gone");
  }

  /**
   * pasta's default, {@code auto} for all four: a TCP server started in the namespace after
   * pasta is up is reachable from the host's loopback within 2 s, and refused once it stopped;
   * a UDP server there too; a server started on the host's loopback after pasta is reachable
   * from the namespace's loopback within 2 s, and refused once it stopped.
   */
  @ParameterizedTest
  @EnumSource(As.class)
  void autoFollowsServersAsTheyComeAndGo(As as) throws Exception {
    String token = UUID.randomUUID().toString().substring(0, 8);
    PastaSandbox.Run r = run(as, """
        $AS "$OURS" -q --config-net -- sh -ec '
          . $DIR/lib.sh
          touch $DIR/ready
          waitfile $DIR/go
          socat TCP4-LISTEN:7050,bind=127.0.0.1,reuseaddr,fork \\
              SYSTEM:"read l; echo \\$l from \\$SOCAT_PEERADDR" & s=$!
          python3 $DIR/udpecho.py 127.0.0.1 7051 & u=$!
          listening t 7050; listening u 7051
          date +%s%N > $DIR/ns-listening
          waitfile $DIR/ns-reached
          kill $s $u; wait $s $u || true
          date +%s%N > $DIR/ns-stopped
          waitfile $DIR/host-listening
          reach "out-TOKEN" TCP4:127.0.0.1:7060
          echo "out reached after $(since $DIR/host-listening) ms"
          touch $DIR/out-reached
          waitfile $DIR/host-stopped
          refused TCP4:127.0.0.1:7060 && echo "out refused after $(since $DIR/host-stopped) ms"
        ' & pasta=$!
        waitfile $DIR/ready; touch $DIR/go
        waitfile $DIR/ns-listening
        reach "in-TOKEN" TCP4:127.0.0.1:7050 && echo "in reached after $(since $DIR/ns-listening) ms"
        i=0
        until python3 $DIR/udpclient.py 127.0.0.1 7051 40700 1 udp-auto 0.2 > $DIR/udp.out; do
          i=$((i+1)); [ $i -ge 30 ] && break
        done
        cat $DIR/udp.out
        touch $DIR/ns-reached
        waitfile $DIR/ns-stopped
        refused TCP4:127.0.0.1:7050 && echo "in refused after $(since $DIR/ns-stopped) ms"
        socat TCP4-LISTEN:7060,bind=127.0.0.1,reuseaddr,fork \\
            SYSTEM:"read l; echo \\$l from \\$SOCAT_PEERADDR" & h=$!
        listening t 7060
        date +%s%N > $DIR/host-listening
        waitfile $DIR/out-reached
        kill $h; wait $h || true
        date +%s%N > $DIR/host-stopped
        wait $pasta; echo "pasta $?"
        """.replace("TOKEN", token));
    assertThat(r.out()).as(r.out()).contains("pasta 0", "in-" + token + " from 127.0.0.1",
        "udp udp-auto ok: 1 datagrams", "refused at TCP4:127.0.0.1:7050",
        "out-" + token + " from 127.0.0.1", "refused at TCP4:127.0.0.1:7060");
    assertThat(millis(r.out(), "in reached after")).as(r.out()).isLessThan(2000);
    assertThat(millis(r.out(), "out reached after")).as(r.out()).isLessThan(2000);
  }

  /** The number in the output's line {@code PREFIX N ms}. */
  private static long millis(String out, String prefix) {
    return out.lines().filter(l -> l.startsWith(prefix + " ")).findFirst()
        .map(l -> Long.parseLong(l.substring(prefix.length() + 1).replace(" ms", "").trim()))
        .orElseThrow(() -> new AssertionError("no line '" + prefix + "' in:\n" + out));
  }

  /** Runs {@code script} in a fresh sandbox, with {@code $AS} the prefix pasta runs under. */
  private PastaSandbox.Run run(As as, String script) throws IOException, InterruptedException {
    return PastaSandbox.run(dir, "", ". $DIR/lib.sh\nAS=\"" + as.prefix + "\"\n" + script,
        RUN_SECONDS);
  }
}
