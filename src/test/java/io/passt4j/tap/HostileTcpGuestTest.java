package io.passt4j.tap;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.PasstConfig;
import io.passt4j.impl.Counters;
import io.passt4j.testutil.FlowTally;
import io.passt4j.testutil.NettyLeaks;
import io.passt4j.testutil.ProcessResources;
import io.passt4j.testutil.StreamGuest;
import io.passt4j.testutil.TransferServer;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole daemon over its real qemu stream socket, one guest client doing two things at once:
 * well-behaved TCP transfers to a host server (a 4 MiB one each way first, then 1 MiB ones, IPv4
 * and IPv6 in turn, every byte checked with SHA-256 on both ends) and, from another thread on the
 * same stream, tens of thousands of hostile frames: {@link TcpGarbage} (all 256 flag combinations
 * on the transfer's own connection and on connections that do not exist, bad checksums on
 * in-window data, data beyond the window, truncated headers, lying data offsets, option lengths
 * of 0, 1, 255 and past the header) and {@link HostileGuestTest}'s generator (truncations, lying
 * IP and UDP lengths, bad checksums, fragments, IPv6 extension chains, ARP, DHCP, DHCPv6 and NDP
 * garbage, random bytes, frames of length 0 and of the largest size). The transfers must complete
 * with correct data, no handler may throw, every frame must be accounted for; then a length
 * prefix of 2^31 breaks the stream, and a new client must get a correct transfer. Afterwards no
 * TCP flow and no descriptor may be left, and Netty's leak detector (sampled: {@link
 * NettyLeaks#sampled}) must be silent.
 *
 * <p>Network safety as in {@link HostileGuestTest}: everything lives in a namespace the test
 * creates; TCP garbage goes to the gateway (the namespace's loopback) or to documentation
 * addresses that have no route there; the generic garbage passes {@link HostileGuestTest#confine}.
 */
class HostileTcpGuestTest {

  static final long SEED = 0x7c9_6a2bL;
  /** At least this many hostile frames, at most the maximum, within the time limit. */
  static final int GARBAGE_MIN = 40_000;
  static final int GARBAGE_MAX = 80_000;
  static final long GARBAGE_TIME_LIMIT_MS = 90_000;
  /** Frames per write on the stream. */
  static final int BATCH = 32;
  static final int FIRST_TRANSFER = 4 << 20;
  static final int NEXT_TRANSFERS = 1 << 20;
  static final String[] COMPONENTS = Daemon.COMPONENTS;

  Rig rig;
  Daemon d;
  PasstConfig cfg;
  TransferServer server4;
  TransferServer server6;

  @BeforeAll
  static void paranoidLeakDetection() throws Exception {
    NettyLeaks.install();
  }

  @AfterAll
  static void restoreLeakDetection() {
    NettyLeaks.restore();
  }

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    rig = Rig.start(dir, c -> c.instanceName = "hostile-tcp");
    NettyLeaks.paranoid(); // Vert.x switched it off
    d = rig.d;
    cfg = rig.cfg;
    server4 = rig.server4;
    server6 = rig.server6;
  }

  @AfterEach
  void stop() throws Exception {
    if (rig != null) rig.close();
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void tcpTransfersSurviveTensOfThousandsOfHostileFramesAndANewClientIsServedAfterABrokenStream()
      throws Exception {
    NettyLeaks.canary();
    NettyLeaks.sampled(); // paranoid tracking of megabytes of segments stalls the loop
    long t0 = System.nanoTime();
    int fdsBefore = ProcessResources.openFds("self");
    FlowTally tally = rig.tally;
    TcpGarbage tcpGarbage = new TcpGarbage(new Random(SEED), cfg.ourMac, server4.port);
    HostileGuestTest.Generator generic = new HostileGuestTest.Generator(new Random(SEED + 1), cfg.ourMac);
    AtomicBoolean garbageDone = new AtomicBoolean();
    List<String> transfers = new ArrayList<>();
    int garbage = 0;
    long garbageBytes = 0;
    try (StreamGuest sg = rig.sg) {
      CompletableFuture<List<String>> transfer = GuestTransfers.whileRunning(sg, cfg, server4,
          server6, 40_100, 1000, FIRST_TRANSFER, NEXT_TRANSFERS, garbageDone::get,
          g -> tcpGarbage.flow = g);
      long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(GARBAGE_TIME_LIMIT_MS);
      List<byte[]> batch = new ArrayList<>();
      while (garbage < GARBAGE_MAX && System.nanoTime() < deadline && !transfer.isDone()
          && (garbage < GARBAGE_MIN || tcpGarbage.flowSweeps() < 4)) {
        for (int i = 0; i < BATCH; i++) {
          byte[] f = garbage % 2 == 0 ? tcpGarbage.next() : HostileGuestTest.confine(generic.next());
          batch.add(f);
          garbageBytes += f.length;
          garbage++;
        }
        sg.send(batch);
        batch.clear();
      }
      garbageDone.set(true);
      long sendMs = (System.nanoTime() - t0) / 1_000_000;
      transfers.addAll(transfer.get(120, TimeUnit.SECONDS));
      assertThat(garbage).as("hostile frames sent within the time limit").isGreaterThanOrEqualTo(GARBAGE_MIN);
      assertThat(tcpGarbage.flowSweeps()).as("sweeps of all 256 flag combinations on the live"
          + " connection").isGreaterThanOrEqualTo(4);
      assertThat(tcpGarbage.strangerSweeps()).as("sweeps on connections that do not exist")
          .isGreaterThanOrEqualTo(4);

      long total = sg.framesSent.get();
      d.awaitAccounted(total, 30);
      report(garbage, garbageBytes, total, sendMs, tcpGarbage, generic, transfers, sg, tally);
      for (String c : COMPONENTS) {
        assertThat(counters(c).get("handler exception")).as(c + ": handler exceptions").isZero();
        assertThat(counters(c).get("drop: out of bounds"))
            .as(c + ": reads past the frame caught only by the safety net").isZero();
      }
      Counters tcp = counters("tcp");
      assertThat(tcp.get("drop: bad TCP checksum")).as("bad checksums dropped")
          .isGreaterThanOrEqualTo(tcpGarbage.kinds.get("bad checksum in window"));
      assertThat(tcp.get("drop: segment outside the window")).as("out-of-window segments")
          .isPositive();
      assertThat(tcp.get("challenge ACK")).as("SYNs on the live connection").isPositive();

      // A length prefix of 2^31: the daemon closes the stream...
      sg.writeRaw(ByteBuffer.allocate(8).putInt(0x80000000).putInt(0).flip());
      assertThat(sg.awaitClosedByDaemon(10_000)).as("stream closed after a length of 2^31").isTrue();
    }
    assertThat(counters("endpoint").get("drop: bad frame length")).isEqualTo(1);
    // ...and serves the next client.
    try (StreamGuest next = new StreamGuest(d.connectWhenServed())) {
      transfers.add(GuestTransfers.run(next, cfg, server4, 4, 40_900, 2000, NEXT_TRANSFERS, null));
    }
    // Every flow goes: garbage SYNs to listening ports end at the handshake timeout (10 s).
    await("no TCP flow left", () -> tally.live("tcp") == 0, 30);
    // UDP flows and ping sockets stay until their idle timeout (180 s, 60 s): one socket each.
    BooleanSupplier fdsBack = () -> ProcessResources.openFds("self") <= fdsBefore
        + tally.live("udp") + tally.live("icmp") + tally.live("icmpv6") + 2;
    await("descriptors back to where they were, but for the UDP and ICMP flows", fdsBack, 10);
    System.out.printf("HOSTILE-TCP after: %s; fds before %d; flows %s; %d ms in all%n",
        ProcessResources.self(), fdsBefore, tally, (System.nanoTime() - t0) / 1_000_000);
    d.closeVertx();
    assertThat(NettyLeaks.reports()).as("Netty leak reports (paranoid)").isEmpty();
  }

  Counters counters(String c) {
    return d.counters(c);
  }

  void report(int garbage, long garbageBytes, long total, long sendMs, TcpGarbage tg,
      HostileGuestTest.Generator gen, List<String> transfers, StreamGuest sg, FlowTally tally) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("HOSTILE-TCP seed=%#x: %d hostile frames (%d bytes), %d frames in all"
        + " with the transfers, sent in %d ms%n", SEED, garbage, garbageBytes, total, sendMs));
    sb.append("HOSTILE-TCP tcp garbage: ").append(tg.kinds).append(String.format(
        "; flag sweeps: %d on the live connection, %d on none%n", tg.flowSweeps(),
        tg.strangerSweeps()));
    sb.append("HOSTILE-TCP other garbage: ").append(gen.kinds).append('\n');
    sb.append("HOSTILE-TCP transfers (sha256 checked both ways): ").append(transfers).append('\n');
    sb.append(String.format("HOSTILE-TCP frames back: %d (TCP to no transfer: %d); flows %s%n",
        sg.framesBack.get(), sg.tcpUnclaimed.get(), tally));
    for (String c : COMPONENTS) {
      Counters k = counters(c);
      sb.append(String.format("HOSTILE-TCP %-8s in=%d out=%d %s %s%n", c, k.framesIn.sum(),
          k.framesOut.sum(), new TreeMap<>(k.toJson().getJsonObject("counters").getMap()),
          new TreeMap<>(k.toJson().getJsonObject("drops").getMap())));
    }
    System.out.print(sb);
  }

  static void await(String what, BooleanSupplier c, int seconds) throws InterruptedException {
    Daemon.await(what, c, seconds);
  }
}
