package io.passt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.cli.PastaSandbox.As;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * pasta mode run as users run it ({@code scripts/pasta}), inside {@code scripts/vm/sandbox.sh}
 * (a network namespace whose only uplink is a veth to a private peer: 198.51.100.2/24 via .1,
 * 2001:db8::2/64 via ::1), both as root and as an unprivileged mapped user (DESIGN.md §3.8), and
 * compared with Debian's {@code /usr/bin/pasta}. Traffic goes only to the sandbox's loopback and
 * gateways. Every run is bounded by a timeout.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PastaIT {

  static final Path ROOT = LauncherIT.ROOT;
  private static final String REFERENCE = "/usr/bin/pasta";
  private static final long RUN_SECONDS = 90;

  /** What the namespace looks like; link-local addresses and MAC addresses are random. */
  private static final String NETWORK_VIEW = """
      ip -br addr
      ip link show eth0 | sed -n 1p
      ip route
      ip -6 route
      ip -6 addr show dev eth0 scope global
      echo "ping_group_range $(cat /proc/sys/net/ipv4/ping_group_range)"
      for n in net uts ipc pid mnt user; do
        [ "$(readlink /proc/self/ns/$n)" = "$(cat "$OUTER/$n")" ] && echo "$n: same" || echo "$n: new"
      done
      echo "pid $$"
      """;

  private Path dir;

  @BeforeAll
  static void prerequisites() {
    assertThat(new com.sun.security.auth.module.UnixSystem().getUid())
        .as("PastaIT makes sandbox namespaces and maps users: run it as root").isZero();
    assertThat(ROOT.resolve("src/target/passt4j-all.jar")).as("the launcher jar (mvn package)")
        .exists();
    assertThat(Path.of(REFERENCE)).as("Debian's pasta (apt-get install passt)").exists();
    assertThat(Path.of("/usr/bin/socat")).as("socat (apt-get install socat)").exists();
    assertThat(Path.of("/usr/bin/busybox")).as("busybox (apt-get install busybox-static)").exists();
  }

  @BeforeEach
  void tempDir() throws IOException {
    dir = PastaSandbox.tempDir("passt4j-pasta-it");
  }

  @AfterEach
  void cleanUp() throws IOException {
    PastaSandbox.delete(dir);
  }

  /**
   * {@code --config-net}: the command sees the sandbox host's addresses, prefixes, routes, MTU
   * 65520, ping_group_range "0 0", new net/UTS/IPC/PID namespaces and PID 1, exactly as with
   * Debian's pasta (run as the mapped user: as root, Debian's pasta drops to nobody and then
   * cannot write its uid_map, DESIGN.md §3.8).
   */
  @ParameterizedTest
  @EnumSource(As.class)
  void configNetLikeDebiansPasta(As as) throws Exception {
    String view = "export OUTER=$DIR/outer-$$; mkdir -p $OUTER; for n in net uts ipc pid mnt user; do"
        + " readlink /proc/self/ns/$n > $OUTER/$n; done\n"
        + "\"$PASTA\" -q --config-net -- sh -ec '" + NETWORK_VIEW.replace("'", "'\\''")
        + "' 2>&1 | sed -E 's/fe80::[0-9a-f:]+/fe80::X/'\n";
    Run ours = sandbox(as, view.replace("$PASTA", "$OURS"));
    Run debian = sandbox(As.USER, view.replace("$PASTA", REFERENCE));
    assertThat(ours.rc).as("ours:\n%s", ours.out).isZero();
    assertThat(debian.rc).as("Debian's:\n%s", debian.out).isZero();
    String expected = normalizeUserNs(debian.out);
    assertThat(normalizeUserNs(ours.out.replace("Don't run as root. Changing to nobody...\n", "")))
        .isEqualTo(expected);
    assertThat(ours.out).contains(
        "eth0             UNKNOWN        198.51.100.2/24 2001:db8::2/64 fe80::X/64",
        "mtu 65520",
        "default via 198.51.100.1 dev eth0 \n",
        "198.51.100.0/24 dev eth0 proto kernel scope link src 198.51.100.2",
        "2001:db8::/64 dev eth0 proto kernel metric 256",
        "default via 2001:db8::1 dev eth0 metric 1024",
        "inet6 2001:db8::2/64 scope global nodad",
        "ping_group_range 0\t0",
        "net: new", "uts: new", "ipc: new", "pid: new", "mnt: same",
        "pid 1\n");
  }

  /** The user namespace is new for a regular user (ours: the launcher's; Debian's: its own). */
  private static String normalizeUserNs(String s) {
    return s.replace("user: same", "user: ?").replace("user: new", "user: ?");
  }

  /**
   * ICMP and UDP over the tap device: ping and ping6 to the gateways (answered through ping
   * sockets on the sandbox host), UDP to servers on the host's loopback through the gateway
   * addresses, both families, the reply carrying the data transformed by the server.
   */
  @ParameterizedTest
  @EnumSource(As.class)
  void pingAndUdpOverTheTap(As as) throws Exception {
    String token = UUID.randomUUID().toString().substring(0, 8);
    Run r = sandbox(as, """
        socat UDP4-RECVFROM:5000,bind=127.0.0.1,fork EXEC:'tr a-z A-Z' & s4=$!
        socat UDP6-RECVFROM:5001,bind=[::1],fork EXEC:'tr a-z A-Z' & s6=$!
        sleep 0.3
        rc=0
        "$OURS" -q --config-net -- sh -c '
          busybox ping -c1 -W5 198.51.100.1 | grep -E "packets"
          busybox ping6 -c1 -W5 2001:db8::1 | grep -E "packets"
          echo "v4 TOKEN" | timeout 10 socat - UDP4:198.51.100.1:5000
          echo "v6 TOKEN" | timeout 10 socat - UDP6:[2001:db8::1]:5001
        ' || rc=$?
        kill $s4 $s6
        exit $rc
        """.replace("TOKEN", token));
    assertThat(r.rc).as(r.out).isZero();
    assertThat(r.out.lines().filter(l -> l.contains("1 packets received")).count())
        .as("ping and ping6 answered:\n%s", r.out).isEqualTo(2);
    assertThat(r.out).contains("V4 " + token.toUpperCase(), "V6 " + token.toUpperCase());
  }

  /**
   * TCP over the tap (main's TCP handler, unchanged): connections from the namespace to servers
   * on the host's loopback through the gateway addresses, both families, an echo transformed by
   * the server, and 3 MB each way compared byte for byte.
   */
  @ParameterizedTest
  @EnumSource(As.class)
  void tcpOverTheTap(As as) throws Exception {
    String token = UUID.randomUUID().toString().substring(0, 8);
    Run r = sandbox(as, """
        head -c 3000000 /dev/urandom > "$DIR/up"; head -c 3000000 /dev/urandom > "$DIR/down"
        socat TCP4-LISTEN:6000,bind=127.0.0.1,fork,reuseaddr EXEC:'tr a-z A-Z' & a=$!
        socat TCP6-LISTEN:6001,bind=[::1],fork,reuseaddr EXEC:'tr a-z A-Z' & b=$!
        socat -u TCP4-LISTEN:6002,bind=127.0.0.1,reuseaddr CREATE:"$DIR/up.got" & c=$!
        socat -u OPEN:"$DIR/down" TCP6-LISTEN:6003,bind=[::1],reuseaddr & d=$!
        sleep 0.3
        rc=0
        "$OURS" -q --config-net -- sh -c '
          echo "v4 TOKEN" | timeout 10 socat - TCP4:198.51.100.1:6000
          echo "v6 TOKEN" | timeout 10 socat - TCP6:[2001:db8::1]:6001
          timeout 30 socat -u OPEN:"$DIR/up" TCP4:198.51.100.1:6002
          timeout 30 socat -u TCP6:[2001:db8::1]:6003 CREATE:"$DIR/down.got"
        ' || rc=$?
        wait $c
        cmp "$DIR/up" "$DIR/up.got" && echo "up same"
        cmp "$DIR/down" "$DIR/down.got" && echo "down same"
        kill $a $b $d 2>/dev/null
        exit $rc
        """.replace("TOKEN", token));
    assertThat(r.rc).as(r.out).isZero();
    assertThat(r.out).contains("V4 " + token.toUpperCase(), "V6 " + token.toUpperCase(),
        "up same", "down same");
  }

  /**
   * Without {@code --config-net} the tap is left down, with {@code --ns-mac-addr}'s address; the
   * command configures it itself with DHCP, answered over the tap by the same handler as in
   * passt mode.
   */
  @Test
  void dhcpOverTheTapWithNsMacAddr() throws Exception {
    Run r = sandbox(As.USER, """
        "$OURS" -q --ns-mac-addr 02:00:00:00:00:42 -- sh -c '
          ip link show eth0 | grep -q "state DOWN" && echo "tap down"
          ip link show eth0 | grep ether
          ip link set eth0 up
          busybox udhcpc -i eth0 -n -q -t 3 -T 2 -s /bin/true 2>&1 | grep lease
        '
        """);
    assertThat(r.out).as(r.out).contains("tap down", "link/ether 02:00:00:00:00:42",
        "lease of 198.51.100.2 obtained from 198.51.100.1");
  }

  /**
   * pasta exits with the command's status, 128 + the signal when it was killed; and quietly: the
   * frames the namespace sends while it goes (NDP, as its links go down) must not meet handlers
   * already stopped (Vert.x warned "Discarding message since the consumer is not registered" on
   * nearly every run before the endpoint stopped first).
   */
  @ParameterizedTest
  @EnumSource(As.class)
  void exitStatusOfTheCommand(As as) throws Exception {
    Run r = sandbox(as, """
        rc=0; "$OURS" -q --config-net -- sh -c 'exit 7' || rc=$?; echo "status $rc"
        rc=0; "$OURS" -q -- sh -c 'sh -c "kill -TERM \\$\\$"' || rc=$?; echo "status $rc"
        rc=0; "$OURS" -q -- true || rc=$?; echo "status $rc"
        for i in 1 2 3; do "$OURS" --config-net -- ip -br addr; done
        """);
    assertThat(r.out.lines().filter(l -> l.startsWith("status ")))
        .as(r.out).containsExactly("status 7", "status 143", "status 0");
    assertThat(r.out).as(r.out).contains("198.51.100.2/24").doesNotContain("Discarding message")
        .doesNotContain("WARNING");
  }

  /**
   * After start: as root, user nobody with no capability; as a regular user, root of the
   * launcher's user namespace (capabilities there, over the namespaces pasta made and nothing
   * else; see SECURITY.md); both with no_new_privs and the seccomp filter. Then the tap device
   * deleted from inside: pasta exits with status 1 and says why, as Debian's pasta exits 1
   * ("Failed to open tun socket in namespace"), and the command goes on.
   */
  @ParameterizedTest
  @EnumSource(As.class)
  void isolatedAfterStartAndExitsWhenTheTapGoesLikeDebiansPasta(As as) throws Exception {
    String script = """
        rc=0
        "$PASTA" -f --config-net -P "$DIR/TAG.pid" -- sh -c '
          i=0; while [ ! -s "$DIR/TAG.pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
          grep -E "^(Uid|CapPrm|CapEff|NoNewPrivs|Seccomp):" /proc/$(cat "$DIR/TAG.pid")/status
          c=$(tr "\\0" "\\n" < /proc/$(cat "$DIR/TAG.pid")/cmdline)
          echo "JVM: $(echo "$c" | grep -cx io.passt4j.cli.Main), C1 only: $(echo "$c" | grep -cx -e -XX:TieredStopAtLevel=1)"
          ip link del eth0
          sleep 3; echo "command went on"' || rc=$?
        echo "status $rc"
        sleep 4
        """;
    Run ours = sandbox(as, script.replace("$PASTA", "$OURS").replace("TAG", "ours"));
    Run debian = sandbox(As.USER, script.replace("$PASTA", REFERENCE).replace("TAG", "deb"));
    assertThat(ours.out).as(ours.out).contains("NoNewPrivs:\t1", "Seccomp:\t2",
        "status 1\ncommand went on");
    // the launcher gives pasta the tiered JIT (passt gets C1 alone: LauncherIT)
    assertThat(ours.out).as(ours.out).contains("JVM: 1, C1 only: 0\n");
    // EBADFD for a read started after the device went, EFAULT for one already waiting in it
    assertThat(ours.out).as(ours.out).containsPattern(
        "tap device: read\\(\\.\\.\\) failed with error\\(-(77|14)\\): [^\\n]+, exiting");
    assertThat(debian.out).as(debian.out).contains("NoNewPrivs:\t1", "Seccomp:\t2",
        "status 1\ncommand went on");
    if (as == As.ROOT) {
      assertThat(ours.out).contains("Uid:\t65534\t65534\t65534\t65534",
          "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000");
    } else {
      assertThat(ours.out).contains("Uid:\t0\t0\t0\t0");
    }
  }

  /** A tun device we may not open: a clear message, status 1, and the command never runs. */
  @Test
  void tunDeviceRefused() throws Exception {
    Run r = sandbox(As.ROOT, """
        touch "$DIR/notun"; chown 65534:65534 "$DIR/notun"; chmod 000 "$DIR/notun"
        mount --bind "$DIR/notun" /dev/net/tun
        rc=0
        unshare --user --map-user=1000 --map-group=1000 -- "$OURS" --config-net -- \
            sh -c 'echo COMMAND RAN' || rc=$?
        echo "status $rc"
        """);
    assertThat(r.out).contains("Failed to open /dev/net/tun: Permission denied", "status 1")
        .doesNotContain("COMMAND RAN");
  }

  /**
   * podman's invocation against a namespace file the test made (as podman does, from the user
   * namespace that owns it): background start with the PID file written, the namespace
   * configured, pasta gone once the file is removed.
   */
  @ParameterizedTest
  @EnumSource(As.class)
  void podmansInvocation(As as) throws Exception {
    String script = """
        d=$(mktemp -d -p "$DIR"); chmod 1777 "$d"; touch "$d/ns"; unshare --net="$d/ns" true
        "$OURS" --config-net --dns-forward 169.254.1.1 -t none -u none -T none -U none \
            --no-map-gw --quiet --netns "$d/ns" --map-guest-addr 169.254.1.2 --pid "$d/pid"
        echo "launcher $?"
        pid=$(cat "$d/pid")
        kill -0 "$pid" && echo "running"
        nsenter --net="$d/ns" sh -c 'ip -br addr show eth0; ip route show default;
            busybox ping -c1 -W5 198.51.100.1 | grep packets'
        umount "$d/ns"; rm "$d/ns"
        i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
        kill -0 "$pid" 2>/dev/null && { echo "still running"; kill "$pid"; } || echo "gone"
        """;
    Run r = sandbox(as, as == As.USER ? wrapPodmanLike(script) : script);
    assertThat(r.out).as(r.out).contains("launcher 0\nrunning\n",
        "198.51.100.2/24 2001:db8::2/64", "default via 198.51.100.1 dev eth0",
        "1 packets received", "gone");
  }

  /**
   * A regular user's pasta joins a user and network namespace that user made elsewhere: {@code
   * pasta PID} (the PID's user namespace implied) and {@code --userns PATH --netns PATH}. A JVM
   * can't setns() into a user namespace: the launcher runs it again under nsenter. The tap is
   * configured, the gateway answers, and, as with Debian's pasta, it goes to background with the
   * PID file written; ours also quits when the process is gone. A user namespace that isn't
   * there fails with passt's message.
   */
  @ParameterizedTest
  @ValueSource(strings = {"PID", "--userns PATH --netns PATH"})
  void joinsAnotherUserNamespaceAsARegularUser(String how) throws Exception {
    String join = how.equals("PID") ? "$P" : "--userns /proc/$P/ns/user --netns /proc/$P/ns/net";
    String script = """
        d=$(mktemp -d -p "$DIR"); chmod 1777 "$d"
        unshare --user --map-root-user --net sh -c 'echo $$ > "$0/p"; exec sleep 60' "$d" &
        i=0; while [ ! -s "$d/p" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
        P=$(cat "$d/p")
        for who in "$OURS" /usr/bin/pasta; do
          "$who" --config-net --quiet --pid "$d/pid" JOIN
          echo "launcher $?"
          pid=$(cat "$d/pid"); rm "$d/pid"
          kill -0 "$pid" && echo "running"
          nsenter -t $P -U -n --preserve-credentials sh -c 'ip -br addr show eth0;
              busybox ping -c1 -W5 198.51.100.1 | grep packets; ip link del eth0'
          if [ "$who" = "$OURS" ]; then ours=$pid; else kill "$pid"; fi
        done
        kill $P
        i=0; while kill -0 "$ours" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
        kill -0 "$ours" 2>/dev/null && echo "ours still running" || echo "ours gone"
        "$OURS" --userns "$d/nothing" --netns /proc/$$/ns/net -f; echo "missing $?"
        """.replace("JOIN", join);
    Run r = sandbox(As.USER, script);
    String ns = "198.51.100.2/24 2001:db8::2/64";
    assertThat(r.out).as(r.out).containsPattern("(?s)launcher 0\nrunning\n[^\n]*" + ns
        + ".*1 packets received.*launcher 0\nrunning\n[^\n]*" + ns + ".*1 packets received");
    assertThat(r.out).as(r.out)
        .contains("Couldn't open user namespace " , "/nothing: No such file or directory\nmissing 1");
    assertThat(r.out).as(r.out).contains("ours gone");
  }

  /** podman runs pasta as root of its own user namespace, with a mount namespace of its own. */
  private String wrapPodmanLike(String script) throws IOException {
    Path inner = dir.resolve("inner-" + UUID.randomUUID() + ".sh");
    Files.writeString(inner, "set -e\n" + script);
    return "unshare --user --map-root-user --mount sh \"" + inner + "\"\n";
  }

  /** A run's combined output and status. */
  private record Run(int rc, String out) {}

  /** Runs {@code script} with sh in a fresh sandbox, as {@code as}. */
  private Run sandbox(As as, String script) throws IOException, InterruptedException {
    PastaSandbox.Run r = PastaSandbox.run(dir, as.prefix, script, RUN_SECONDS);
    return new Run(r.rc(), r.out());
  }
}
