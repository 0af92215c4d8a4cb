package io.passt4j.tap;

import static io.passt4j.testutil.GuestFrames.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.PasstConfig;
import io.passt4j.fwd.ForwardRules;
import io.passt4j.fwd.PortForward;
import io.passt4j.packet.Tcp;
import io.passt4j.testutil.FlowTally;
import io.passt4j.testutil.GuestFrames;
import io.passt4j.testutil.GuestTcp;
import io.passt4j.testutil.ProcessResources;
import io.passt4j.testutil.StreamGuest;
import io.passt4j.testutil.TransferServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Floods against the whole daemon on its real qemu socket, with the default bounds (TCP 8192
 * connections, UDP 4096 flows; see the packages' theory of operation): a SYN flood from the
 * guest (10,000 SYNs to a host port that completes every handshake and 10,000 to one that drops
 * every SYN), a UDP source-port flood (20,000 guest ports), a connection flood from the host to
 * a {@code -t} forwarded port (12,000 connections from another process the guest never answers).
 * Each time a checked transfer runs alongside and must complete, the flow tables (counted from
 * flow events) must stay within their bounds, evicting what the documentation says, and the
 * descriptors and memory the daemon holds must go back once the flood is over. Figures (flows,
 * descriptors, heap after GC, RSS, before, at the peak and after) are printed as {@code FLOOD}
 * lines.
 *
 * <p>Network safety: the daemon, the servers and the flooding process live in a namespace the
 * test creates ({@code lo} only); every destination is the gateway, i.e. that namespace's
 * loopback.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FloodTest {

  static final int TCP_MAX = 8192;
  static final int UDP_MAX = 4096;
  static final int SYNS = 10_000;
  static final int UDP_PORTS = 20_000;
  static final int HOST_CONNECTIONS = 12_000;
  /** The {@code -t} forward: host port to the guest's port. */
  static final int FORWARDED = 18_080;
  static final int GUEST_SERVER = 8080;
  static final String GUEST4 = HostileGuestTest.GUEST4;
  static final String GW4 = HostileGuestTest.GW4;

  Rig rig;
  Daemon d;
  PasstConfig cfg;
  TransferServer server4;
  TransferServer server6;
  FlowTally tally;
  StreamGuest sg;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    rig = Rig.start(dir, c -> {
      c.instanceName = "flood";
      c.tcpIn = new ForwardRules(ForwardRules.Mode.SPEC,
          List.of(new PortForward(null, null, FORWARDED, GUEST_SERVER)));
    });
    d = rig.d;
    cfg = rig.cfg;
    server4 = rig.server4;
    server6 = rig.server6;
    tally = rig.tally;
    sg = rig.sg;
    // A listener that completes 20,000 handshakes without accepting needs a long queue.
    d.ns.sh("echo 65535 > /proc/sys/net/core/somaxconn");
  }

  @AfterEach
  void stop() throws Exception {
    if (rig != null) rig.close();
  }

  @Test
  void synFloodFromTheGuestStaysWithinTheBoundWhileATransferRuns() throws Exception {
    ServerSocketChannel listening = d.ns.call(() -> ServerSocketChannel.open()
        .bind(new InetSocketAddress(ip("127.0.0.1"), 0), 65535));
    rig.closing(listening);
    ServerSocketChannel deaf = rig.deaf();
    int listeningPort = ((InetSocketAddress) listening.getLocalAddress()).getPort();
    int deafPort = ((InetSocketAddress) deaf.getLocalAddress()).getPort();

    Figures fig = new Figures("syn flood");
    // The transfer's connection first: established connections are never evicted.
    GuestTransfers.Paced transfer = new GuestTransfers.Paced(sg, cfg, server4, 4, 50_000, 100,
        4 << 20);
    long t0 = System.nanoTime();
    List<byte[]> batch = new ArrayList<>();
    for (int i = 0; i < 2 * SYNS; i++) {
      int port = i < SYNS ? listeningPort : deafPort;
      batch.add(GuestTcp.frame(cfg.ourMac, GUEST4, 1024 + i, GW4, port, i * 1_000_003,
          0, Tcp.SYN, 65535, GuestTcp.synOptions(1460, 7), new byte[0]));
      if (batch.size() == 250) {
        sg.send(batch);
        batch.clear();
        fig.sample(tally);
        transfer.step(40_000, 30_000); // some of the transfer between every 250 SYNs
      }
    }
    sg.send(batch);
    d.awaitAccounted(sg.framesSent.get(), 60);
    long floodMs = (System.nanoTime() - t0) / 1_000_000;
    fig.peak(tally);
    String done = transfer.finish(60_000);
    Daemon.await("every flood connection gone (handshake timeout, 10 s)",
        () -> tally.live("tcp") == 0, 40);
    fig.after(tally);
    System.out.printf("FLOOD syn: %d SYNs in %d ms; transfer alongside %s%nFLOOD syn: tcp %s%n",
        2 * SYNS, floodMs, done,
        new java.util.TreeMap<>(d.counters("tcp").toJson().getJsonObject("counters").getMap()));

    assertThat(tally.opened("tcp")).as("connections opened").isGreaterThan(SYNS);
    assertThat(tally.max("tcp")).as("TCP connections at once").isLessThanOrEqualTo(TCP_MAX);
    // Every flood connection ends evicted, or at its handshake timeout when the flood is slower
    // than 8192 SYNs in 10 s (CI's two busy CPUs): none is refused, none stays.
    long evicted = d.counters("tcp").get("half-open connection evicted");
    assertThat(evicted).as("evictions").isPositive();
    assertThat(evicted + d.counters("tcp").get("handshake timeout")).as("evicted or timed out")
        .isEqualTo(2L * SYNS);
    assertThat(tally.closed("tcp", "evicted")).isEqualTo(
        d.counters("tcp").get("half-open connection evicted"));
    assertThat(d.counters("tcp").get("connection table full")).as("SYNs refused").isZero();
    assertThat(d.counters("tcp").get("handler exception")).isZero();
    fig.assertBounded(TCP_MAX);
  }

  @Test
  void udpSourcePortFloodEvictsTheLeastRecentlyUsedFlowsAndKeepsTheBusyOne() throws Exception {
    DatagramChannel echo = d.ns.call(() -> DatagramChannel.open()
        .bind(new InetSocketAddress(ip("127.0.0.1"), 0)));
    rig.closing(echo);
    int echoPort = ((InetSocketAddress) echo.getLocalAddress()).getPort();
    AtomicLong echoed = new AtomicLong();
    Thread t = new Thread(() -> {
      ByteBuffer b = ByteBuffer.allocate(2048);
      try {
        while (true) {
          b.clear();
          SocketAddress from = echo.receive(b);
          echo.send(b.flip(), from);
          echoed.incrementAndGet();
        }
      } catch (IOException closed) {
        // done
      }
    }, "udp-echo");
    t.setDaemon(true);
    t.start();
    BlockingQueue<byte[]> busyReplies = new LinkedBlockingQueue<>();
    int busyPort = 45_000;
    sg.others(f -> {
      GuestFrames.Parsed p = parseUdp(f);
      if (p != null && p.dport() == busyPort) busyReplies.add(f);
    });

    Figures fig = new Figures("udp flood");
    AtomicBoolean flooding = new AtomicBoolean(true);
    CompletableFuture<List<String>> transfers = GuestTransfers.whileRunning(sg, cfg, server4,
        server6, 50_000, 200, 2 << 20, 1 << 20, () -> !flooding.get(), null);
    List<byte[]> batch = new ArrayList<>();
    int busyExchanges = 0;
    for (int i = 0; i < UDP_PORTS; i++) {
      batch.add(GuestFrames.udp(cfg.ourMac, GUEST4, 10_000 + i, GW4, echoPort,
          ("flood " + i).getBytes(StandardCharsets.US_ASCII)));
      if (batch.size() == 250) {
        sg.send(batch);
        batch.clear();
        fig.sample(tally);
        byte[] payload = ("busy " + i).getBytes(StandardCharsets.US_ASCII);
        sg.send(GuestFrames.udp(cfg.ourMac, GUEST4, busyPort, GW4, echoPort, payload));
        byte[] r = busyReplies.poll(10, TimeUnit.SECONDS);
        assertThat(r).as("the busy flow answered after %d flood datagrams", i + 1).isNotNull();
        assertThat(GuestFrames.parse(r).payload()).isEqualTo(payload);
        busyExchanges++;
      }
    }
    sg.send(batch);
    d.awaitAccounted(sg.framesSent.get(), 60);
    fig.peak(tally);
    flooding.set(false);
    List<String> done = transfers.get(120, TimeUnit.SECONDS);
    fig.after(tally);
    System.out.printf("FLOOD udp: %d busy-flow exchanges, %d datagrams echoed; transfers %s%n"
        + "FLOOD udp: %s%n", busyExchanges, echoed.get(), done,
        new java.util.TreeMap<>(d.counters("udp").toJson().getJsonObject("counters").getMap()));

    assertThat(tally.opened("udp")).as("UDP flows opened").isEqualTo(UDP_PORTS + 1L);
    assertThat(tally.max("udp")).as("UDP flows at once").isEqualTo(UDP_MAX);
    assertThat(tally.closed("udp", "evicted")).as("least recently used flows evicted")
        .isEqualTo(UDP_PORTS + 1L - UDP_MAX);
    assertThat(d.counters("udp").get("handler exception")).isZero();
    // UDP flows stay until their idle timeout (180 s): the table is full, and bounded.
    fig.assertBounded(UDP_MAX);
  }

  @Test
  void connectionFloodFromTheHostToAForwardedPortEvictsHalfOpenOnesOnly() throws Exception {
    // The legitimate connection: from a known host port, accepted by the guest, data both ways.
    SocketChannel client = d.ns.call(() -> {
      SocketChannel c = SocketChannel.open();
      c.bind(new InetSocketAddress(ip("127.0.0.1"), 0));
      return c;
    });
    rig.closing(client);
    int clientPort = ((InetSocketAddress) client.getLocalAddress()).getPort();
    GuestTcpLinkedAccept guest = new GuestTcpLinkedAccept(sg, clientPort);
    client.connect(new InetSocketAddress(ip("127.0.0.1"), FORWARDED));
    GuestTcp g = guest.accept(cfg);
    byte[] toGuest = TransferServer.payload(301, 2 << 20);
    byte[] fromGuest = TransferServer.payload(302, 2 << 20);
    CompletableFuture<Void> peak = new CompletableFuture<>();
    CompletableFuture<byte[]> hostGot =
        CompletableFuture.supplyAsync(() -> hostSide(client, toGuest, peak));
    CompletableFuture<Void> guestDone = CompletableFuture.runAsync(() -> {
      try {
        g.run(fromGuest, true, () -> g.finReceived, 120_000);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });

    Figures fig = new Figures("host connection flood");
    Process flood = d.ns.start("/usr/bin/python3", "-c", FLOOD_CLIENT,
        Integer.toString(HOST_CONNECTIONS), Integer.toString(FORWARDED));
    rig.closing(() -> flood.destroyForcibly());
    InputStream out = flood.getInputStream();
    String opened = readLine(out, 60);
    assertThat(opened).as("the flooding process").startsWith("opened " + HOST_CONNECTIONS);
    Daemon.await("every flooding connection accepted", () -> d.counters("tcp")
        .get("forwarded connections") >= HOST_CONNECTIONS + 1, 60);
    for (int i = 0; i < 10; i++) {
      fig.sample(tally);
      Thread.sleep(100);
    }
    fig.peak(tally);
    peak.complete(null); // the second half of the host's data now, through the full table
    guestDone.get(120, TimeUnit.SECONDS);
    assertThat(hostGot.get(120, TimeUnit.SECONDS)).as("what the host got from the guest")
        .isEqualTo(TransferServer.sha256(fromGuest));
    assertThat(TransferServer.sha256(g.received.toByteArray())).as("what the guest got")
        .isEqualTo(TransferServer.sha256(toGuest));
    flood.getOutputStream().close(); // the flooding process closes its sockets and exits
    assertThat(flood.waitFor(30, TimeUnit.SECONDS)).isTrue();
    Daemon.await("every connection gone", () -> tally.live("tcp") == 0, 40);
    fig.after(tally);
    System.out.printf("FLOOD host: tcp %s%n",
        new java.util.TreeMap<>(d.counters("tcp").toJson().getJsonObject("counters").getMap()));

    assertThat(tally.max("tcp")).as("TCP connections at once").isLessThanOrEqualTo(TCP_MAX);
    assertThat(d.counters("tcp").get("half-open connection evicted")).as("evictions")
        .isGreaterThanOrEqualTo(HOST_CONNECTIONS - TCP_MAX);
    assertThat(d.counters("tcp").get("handler exception")).isZero();
    fig.assertBounded(TCP_MAX);
  }

  // ---------------------------------------------------------------- helpers

  /** Opens N non-blocking connections to 127.0.0.1:PORT, holds them until stdin closes. */
  static final String FLOOD_CLIENT = String.join("\n",
      "import socket, sys",
      "n, port = int(sys.argv[1]), int(sys.argv[2])",
      "socks = []",
      "for i in range(n):",
      "    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
      "    s.setblocking(False)",
      "    s.connect_ex(('127.0.0.1', port))",
      "    socks.append(s)",
      "print('opened', len(socks), flush=True)",
      "sys.stdin.read()",
      "for s in socks: s.close()",
      "");

  /** The guest side of the legitimate forwarded connection: the SYN from one host port. */
  static final class GuestTcpLinkedAccept {
    final StreamGuest sg;
    final int hostPort;

    GuestTcpLinkedAccept(StreamGuest sg, int hostPort) {
      this.sg = sg;
      this.hostPort = hostPort;
    }

    GuestTcp accept(PasstConfig cfg) throws InterruptedException {
      return GuestTcp.accept(sg.link(GUEST_SERVER, hostPort), cfg.ourMac, GUEST4, GUEST_SERVER,
          5000, 16_384, 10_000);
    }
  }

  /**
   * Writes the first half of {@code data}, the second once {@code go} completes, shuts down
   * output, reads to EOF; the SHA-256 of what was read.
   */
  static byte[] hostSide(SocketChannel c, byte[] data, CompletableFuture<Void> go) {
    try {
      Thread w = new Thread(() -> {
        try {
          ByteBuffer b = ByteBuffer.wrap(data, 0, data.length / 2);
          while (b.hasRemaining()) c.write(b);
          go.get(120, TimeUnit.SECONDS);
          b = ByteBuffer.wrap(data, data.length / 2, data.length - data.length / 2);
          while (b.hasRemaining()) c.write(b);
          c.shutdownOutput();
        } catch (Exception e) {
          // seen by the reader as a short read
        }
      });
      w.start();
      java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
      ByteBuffer b = ByteBuffer.allocate(64 << 10);
      while (c.read(b) >= 0) {
        got.write(b.array(), 0, b.position());
        b.clear();
      }
      w.join();
      return TransferServer.sha256(got.toByteArray());
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  static String readLine(InputStream in, int seconds) throws Exception {
    return CompletableFuture.supplyAsync(() -> {
      try {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') sb.append((char) c);
        return sb.toString();
      } catch (IOException e) {
        return "read failed: " + e;
      }
    }).get(seconds, TimeUnit.SECONDS);
  }

  static GuestFrames.Parsed parseUdp(byte[] f) {
    if (f.length < 42 || f[12] != 0x08 || f[13] != 0 || f[23] != 17) return null;
    return GuestFrames.parse(f);
  }

  /** Descriptors, heap after GC and RSS of this JVM (the daemon's), and the flow tables. */
  static final class Figures {
    final String name;
    final int fdsBefore;
    final long heapBefore;
    final long rssBefore;
    int fdsPeak;
    long rssPeak;
    long heapPeak;
    int fdsAfter;
    long heapAfter;
    long rssAfter;

    Figures(String name) {
      this.name = name;
      heapBefore = ProcessResources.heapAfterGc();
      fdsBefore = ProcessResources.openFds("self");
      rssBefore = ProcessResources.rssKiB("self");
    }

    void sample(FlowTally t) {
      fdsPeak = Math.max(fdsPeak, ProcessResources.openFds("self"));
      rssPeak = Math.max(rssPeak, ProcessResources.rssKiB("self"));
    }

    /** At the height of the flood: also the heap after GC. */
    void peak(FlowTally t) {
      sample(t);
      heapPeak = ProcessResources.heapAfterGc();
      System.out.printf("FLOOD %s peak: flows %s%n", name, t);
    }

    void after(FlowTally t) {
      heapAfter = ProcessResources.heapAfterGc();
      fdsAfter = ProcessResources.openFds("self");
      rssAfter = ProcessResources.rssKiB("self");
      System.out.printf("FLOOD %s: fds %d -> peak %d -> %d; heap after GC %.1f -> %.1f -> %.1f"
          + " MiB; RSS %.1f -> peak %.1f -> %.1f MiB; flows %s%n", name, fdsBefore, fdsPeak,
          fdsAfter, mib(heapBefore), mib(heapPeak), mib(heapAfter), rssBefore / 1024.0,
          rssPeak / 1024.0, rssAfter / 1024.0, t);
    }

    /**
     * The peak holds at most one descriptor per flow of the bound (and a few of the test's);
     * afterwards the descriptors of the gone flows are back and the heap with them.
     */
    void assertBounded(int bound) {
      assertThat(fdsPeak - fdsBefore).as("descriptors added at the peak").isLessThanOrEqualTo(bound + 64);
      assertThat(heapPeak - heapBefore).as("heap added at the peak (after GC)")
          .isLessThan(256L << 20);
      assertThat(heapAfter - heapBefore).as("heap added after the flood (after GC)")
          .isLessThan(32L << 20);
    }

    static double mib(long b) {
      return b / 1048576.0;
    }
  }
}
