package io.passt4j.tap;

import static io.passt4j.testutil.GuestFrames.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.PasstConfig;
import io.passt4j.impl.Logging;
import io.passt4j.packet.Tcp;
import io.passt4j.proto.tcp.TcpTestPlugins;
import io.passt4j.testutil.FlowTally;
import io.passt4j.testutil.GuestTcp;
import io.passt4j.testutil.GuestTcp.Seg;
import io.passt4j.testutil.ProcessResources;
import io.passt4j.testutil.StreamGuest;
import io.passt4j.testutil.TransferServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults around the whole daemon on its real qemu socket, each with a checked transfer: a host
 * server that resets mid-transfer, one whose process is killed mid-transfer, a destination that
 * never answers a SYN (a listener with a full backlog: the kernel drops the SYNs), a host server
 * that stops reading for 12 s and then goes on, and the guest killed mid-transfer and replaced by
 * a new one (whose kernel resets the old guest's connection when its segments arrive, as passt's
 * flows also outlive the qemu connection). After each: the guest heard of it (RST, or the data came through intact), no TCP
 * flow is left (flow events) and the daemon holds no more descriptors than before; the log says
 * what happened to the guest's link. The TCP handler runs with a handshake timeout of 3 s and a
 * retransmission timeout of 500 ms instead of passt's 10 s and 2 s, to keep the test short.
 *
 * <p>Network safety: everything lives in a namespace the test creates; every destination is the
 * gateway, i.e. that namespace's loopback.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FaultsTest {

  static final long SYN_MS = 3_000;
  static final long ACK_MS = 500;

  Rig rig;
  Daemon d;
  PasstConfig cfg;
  TransferServer server4;
  TransferServer server6;
  FlowTally tally;
  Path log;
  int fdsBefore;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    log = dir.resolve("daemon.log");
    Logging.setFile(log.toString(), 1 << 20);
    rig = Rig.start(dir, c -> c.instanceName = "faults",
        TcpTestPlugins.withTimeouts(SYN_MS, ACK_MS));
    d = rig.d;
    cfg = rig.cfg;
    server4 = rig.server4;
    server6 = rig.server6;
    tally = rig.tally;
    fdsBefore = ProcessResources.openFds("self");
  }

  @AfterEach
  void stop() throws Exception {
    if (rig != null) rig.close();
    Logging.setFile(null, 0);
  }

  @Test
  void hostServerResetsThenOneIsKilledMidTransfer() throws Exception {
    // A reset after 1 MiB of a 4 MiB upload.
    server4.act(1, TransferServer.Action.resetAfter(1 << 20));
    GuestTcp g = GuestTransfers.connect(rig.sg, cfg, server4, 4, 51_000, 1);
    g.run(TransferServer.guestData(1, 4 << 20, 0), true, () -> g.rstReceived, 30_000);
    assertThat(g.rstReceived).as("the guest is reset when the host server resets").isTrue();
    assertThat(d.counters("tcp").get("host reset")).isEqualTo(1);

    // A server process killed (SIGKILL) once it has read 1 MiB.
    Process server = d.ns.start("/usr/bin/python3", "-c", SINK);
    rig.closing(server::destroyForcibly);
    int port = Integer.parseInt(FloodTest.readLine(server.getInputStream(), 30).trim());
    GuestTcp k = new GuestTcp(rig.sg.link(51_001), cfg.ourMac, HostileGuestTest.GUEST4, 51_001,
        HostileGuestTest.GW4, port, 4242);
    k.connect(16_384);
    byte[] data = TransferServer.payload(2, 8 << 20);
    k.run(Arrays.copyOf(data, 1 << 20), false, () -> true, 30_000);
    server.destroyForcibly();
    assertThat(server.waitFor(10, TimeUnit.SECONDS)).isTrue();
    k.run(Arrays.copyOfRange(data, 1 << 20, data.length), true, () -> k.rstReceived, 30_000);
    assertThat(k.rstReceived).as("the guest is reset when the host server vanishes").isTrue();

    // Nothing left behind, and the next transfer goes through.
    awaitNothingLeft();
    String ok = GuestTransfers.run(rig.sg, cfg, server6, 6, 51_002, 3, 1 << 20, null);
    awaitNothingLeft();
    System.out.printf("FAULTS reset and kill: host resets %d, %s; %s%n",
        d.counters("tcp").get("host reset"), ok, tally);
  }

  @Test
  void aDestinationThatNeverAnswersAndAHostThatStopsReadingFor12Seconds() throws Exception {
    ServerSocketChannel deaf = rig.deaf();
    fdsBefore = ProcessResources.openFds("self"); // with the listener and its two connections
    int deafPort = ((InetSocketAddress) deaf.getLocalAddress()).getPort();

    server4.act(4, TransferServer.Action.pauseAfter(1 << 20, 12_000));
    long t0 = System.nanoTime();
    CompletableFuture<String> stalled = CompletableFuture.supplyAsync(() -> {
      try {
        return GuestTransfers.run(rig.sg, cfg, server4, 4, 52_000, 4, 6 << 20, null);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    GuestTcp never = new GuestTcp(rig.sg.link(52_001), cfg.ourMac, HostileGuestTest.GUEST4, 52_001,
        HostileGuestTest.GW4, deafPort, 777);
    never.send(777, Tcp.SYN, GuestTcp.synOptions(1460, 7), new byte[0]);
    Seg rst = never.next(SYN_MS + 5_000);
    long rstMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(rst).as("an answer to the SYN nobody answers").isNotNull();
    assertThat(rst.has(Tcp.RST)).as("RST after the handshake timeout: " + rst).isTrue();
    assertThat(rst.ack()).isEqualTo(778);
    assertThat(rstMs).as("not before the handshake timeout").isGreaterThanOrEqualTo(SYN_MS - 100);
    assertThat(d.counters("tcp").get("handshake timeout")).isEqualTo(1);

    String ok = stalled.get(120, TimeUnit.SECONDS);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(ms).as("the transfer waited for the stalled reader").isGreaterThanOrEqualTo(12_000);
    awaitNothingLeft();
    System.out.printf("FAULTS no answer: RST to the guest after %d ms; stalled reader: %s (%d ms"
        + " in all); %s%n", rstMs, ok, ms, tally);
  }

  /**
   * The guest closes its window (a guest that stops reading) for 10 s in the middle of a
   * download, then opens it again: the host's data waits in the kernel meanwhile, and the
   * download completes intact.
   */
  @Test
  void aGuestThatStopsReadingFor10SecondsGetsEverythingAfterwards() throws Exception {
    GuestTransfers.Paced p = new GuestTransfers.Paced(rig.sg, cfg, server4, 4, 54_000, 7, 4 << 20);
    p.step(64 << 10, 30_000);
    GuestTcp g = p.g;
    long t0 = System.nanoTime();
    while (g.received.size() < (1 << 20) && System.nanoTime() - t0 < 30_000_000_000L) {
      GuestTcp.Seg s = g.next(100);
      if (s != null) g.absorb(s);
    }
    g.window = 0;
    g.ack();
    long closedAt = System.nanoTime();
    int before = g.received.size();
    long probes = 0;
    while (System.nanoTime() - closedAt < 10_000_000_000L) {
      GuestTcp.Seg s = g.next(100);
      if (s == null) continue;
      if (s.payload().length == 0 && !s.has(Tcp.FIN)) {
        probes++;
        g.ack(); // a zero-window probe: answered with the window, still 0
      } else {
        g.absorb(s); // what was in flight when the window closed
      }
    }
    int during = g.received.size() - before;
    g.window = 65535;
    g.ack();
    String ok = p.finish(60_000);
    awaitNothingLeft();
    assertThat(during).as("bytes sent into the closed window").isLessThanOrEqualTo(65535 << 7);
    assertThat(probes).as("zero-window probes in 10 s").isPositive();
    System.out.printf("FAULTS guest window closed 10 s: %d bytes in flight taken in, %d probes;"
        + " %s%n", during, probes, ok);
  }

  @Test
  void theGuestKilledMidTransferIsReplacedByANewOneAndItsFlowGoes() throws Exception {
    GuestTransfers.Paced p = new GuestTransfers.Paced(rig.sg, cfg, server4, 4, 53_000, 5, 8 << 20);
    for (int i = 0; i < 16; i++) p.step(64 << 10, 30_000);
    // The last word of the old guest: a closed window. The daemon has to keep talking to it
    // (window probes, or retransmissions of what is in flight), which the new guest answers.
    // Without it the host's 8 MiB may all be acknowledged by now, on a fast run: an idle flow
    // then rightly waits for its host peer or the idle timeout (2 h), and this test timed out.
    p.g.window = 0;
    p.g.ack();
    rig.sg.close(); // qemu killed: the stream just ends, mid-transfer
    rig.sg = null;
    Daemon.await("the daemon saw the client go", () -> logText().contains(
        "Client connection closed"), 10);
    try (StreamGuest next = new StreamGuest(d.connectWhenServed())) {
      // The new guest's kernel knows nothing of the old connection: the daemon goes on sending
      // its segments, the new guest answers with RST, and the connection ends.
      next.resetStrangers();
      String ok = GuestTransfers.run(next, cfg, server6, 6, 53_001, 6, 2 << 20, null);
      awaitNothingLeft();
      assertThat(d.counters("tcp").get("guest reset")).as("the old connection reset by the new"
          + " guest").isEqualTo(1);
      System.out.printf("FAULTS guest killed: new guest %s; old connection reset by it after %d"
          + " segments for it; frames dropped while no guest was connected %d; %s%n", ok,
          next.tcpUnclaimed.get(), d.counters("endpoint").get("drop: no client"), tally);
    }
    assertThat(logText()).contains("Client connection closed", "accepted connection from PID");
  }

  // ---------------------------------------------------------------- helpers

  /** Prints its port, accepts one connection and reads it to the end. */
  static final String SINK = String.join("\n",
      "import socket",
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)",
      "print(s.getsockname()[1], flush=True)",
      "c, _ = s.accept()",
      "while c.recv(65536): pass",
      "");

  /** No TCP flow, and no more descriptors than before but UDP and ICMP flows' sockets. */
  void awaitNothingLeft() throws InterruptedException {
    Daemon.await("no TCP flow left", () -> tally.live("tcp") == 0, 30);
    Daemon.await("descriptors back to where they were", () -> ProcessResources.openFds("self")
        <= fdsBefore + tally.live("udp") + tally.live("icmp") + 2, 10);
  }

  String logText() {
    try {
      return Files.readString(log);
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
