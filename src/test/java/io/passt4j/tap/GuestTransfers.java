package io.passt4j.tap;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.PasstConfig;
import io.passt4j.testutil.GuestTcp;
import io.passt4j.testutil.StreamGuest;
import io.passt4j.testutil.TransferServer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Well-behaved TCP transfers from the guest over the real qemu stream to {@link TransferServer}s
 * behind the gateway addresses, checked with SHA-256 both ways: what runs alongside the hostile
 * frames, the floods and the faults, and must come through intact.
 */
final class GuestTransfers {

  private GuestTransfers() {}

  /**
   * One transfer of {@code size} bytes each way on a new connection from guest port {@code
   * guestPort} to {@code srv} through the gateway of {@code version}; {@code connected}, if
   * given, sees the connection once established and gets null when the transfer ends. Returns a
   * line for the test's report.
   */
  static String run(StreamGuest sg, PasstConfig cfg, TransferServer srv, int version,
      int guestPort, long id, int size, Consumer<GuestTcp> connected) throws Exception {
    long t = System.nanoTime();
    GuestTcp g = connect(sg, cfg, srv, version, guestPort, id);
    if (connected != null) connected.accept(g);
    try {
      byte[] up = TransferServer.guestSide(g, id, size, size, 120_000);
      assertThat(srv.upload(id).get(20, TimeUnit.SECONDS))
          .as("sha256 of upload " + id + " at the server").isEqualTo(up);
    } finally {
      if (connected != null) connected.accept(null);
    }
    return String.format("#%d IPv%d %d+%d bytes in %d ms", id, version, size, size,
        (System.nanoTime() - t) / 1_000_000);
  }

  /** A connection from the guest's {@code guestPort} to {@code srv} through the gateway. */
  static GuestTcp connect(StreamGuest sg, PasstConfig cfg, TransferServer srv, int version,
      int guestPort, long id) throws InterruptedException {
    GuestTcp g = new GuestTcp(sg.link(guestPort), cfg.ourMac,
        version == 4 ? HostileGuestTest.GUEST4 : HostileGuestTest.GUEST6, guestPort,
        version == 4 ? HostileGuestTest.GW4 : HostileGuestTest.GW6, srv.port, (int) (id * 7919));
    g.connect(16_384);
    return g;
  }

  /**
   * A transfer on an established connection driven in steps by the caller's thread, so that it
   * runs through whatever the caller does between steps (a flood): {@link #step} sends the next
   * bytes of the upload and waits for their ACK, taking in the download meanwhile; {@link
   * #finish} sends the rest, and checks both ways.
   */
  static final class Paced {
    final GuestTcp g;
    final TransferServer srv;
    final long id;
    final int size;
    final byte[] data;
    int sent;
    int steps;

    Paced(StreamGuest sg, PasstConfig cfg, TransferServer srv, int version, int guestPort,
        long id, int size) throws InterruptedException {
      this.g = connect(sg, cfg, srv, version, guestPort, id);
      this.srv = srv;
      this.id = id;
      this.size = size;
      this.data = TransferServer.guestData(id, size, size);
    }

    void step(int n, long ms) throws InterruptedException {
      int end = Math.min(data.length - 1, sent + n);
      if (end <= sent) return;
      g.run(java.util.Arrays.copyOfRange(data, sent, end), false, () -> true, ms);
      sent = end;
      steps++;
    }

    String finish(long ms) throws Exception {
      TransferServer.finish(g, id, java.util.Arrays.copyOfRange(data, sent, data.length), size, ms);
      assertThat(srv.upload(id).get(20, TimeUnit.SECONDS)).as("sha256 of upload " + id
          + " at the server").isEqualTo(TransferServer.sha256(TransferServer.payload(id, size)));
      return String.format("#%d %d+%d bytes, driven in %d steps", id, size, size, steps);
    }
  }

  /**
   * Transfers one after the other, IPv4 and IPv6 in turn (servers {@code srv4}, {@code srv6}):
   * {@code first} bytes each way, then {@code next} bytes each way until {@code stop} holds (40
   * at most), from guest ports {@code basePort} on. Completes with the report lines, or with the
   * first failure.
   */
  static CompletableFuture<List<String>> whileRunning(StreamGuest sg, PasstConfig cfg,
      TransferServer srv4, TransferServer srv6, int basePort, long firstId, int first, int next,
      BooleanSupplier stop, Consumer<GuestTcp> connected) {
    List<String> done = new CopyOnWriteArrayList<>();
    CompletableFuture<List<String>> f = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        for (int i = 0; i == 0 || (!stop.getAsBoolean() && i < 40); i++) {
          boolean v4 = i % 2 == 0;
          done.add(run(sg, cfg, v4 ? srv4 : srv6, v4 ? 4 : 6, basePort + i, firstId + i,
              i == 0 ? first : next, connected));
        }
        f.complete(done);
      } catch (Throwable e) {
        f.completeExceptionally(new AssertionError("transfers done before the failure: " + done, e));
      }
    }, "guest-transfers");
    t.setDaemon(true);
    t.start();
    return f;
  }
}
