package io.passt4j.proto.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.packet.Tcp;
import io.passt4j.testutil.GuestTcp;
import io.passt4j.testutil.GuestTcp.Seg;
import io.passt4j.testutil.HandlerHarness;
import io.vertx.junit5.VertxExtension;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Our window towards the guest: it is what the bounded queue to the host can still take, so a
 * server that stops reading closes it; data beyond it is not taken (and not lost: the guest
 * sends it again); the window opens again, unasked, when the server reads. Small socket buffers
 * in the namespace make the queue fill after a few KiB.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpWindowTest extends TcpTestBase {

  @BeforeAll
  static void buffers() throws Exception {
    smallSocketBuffers();
  }

  @Test
  void dataBeyondOurWindowIsNotTakenAndNothingIsLost() throws Exception {
    CountDownLatch readNow = new CountDownLatch(1);
    Server[] sv = new Server[1];
    sv[0] = new Server("127.0.0.1", s -> {
      readNow.await(20, TimeUnit.SECONDS);
      sv[0].got.complete(readAll(s));
    });
    HandlerHarness h = deploy(passtTimers(16 << 10), true);
    GuestTcp g = guest(h, 4, sv[0].port(), 44001);
    g.connect(1460);
    byte[] data = bytes(200_000, 41);
    int sent = 0;
    for (int i = 0; i < 20; i++) { // until the kernel's buffers are full too: zero stays zero
      sent += fillWindow(g, Arrays.copyOfRange(data, sent, data.length));
      absorbFor(g, 300);
      if (g.peerWindow == 0) break;
    }
    assertThat(sent).as("the queue and the kernel's buffers took a few KiB").isBetween(16 << 10, 150_000);
    assertThat(g.sndUna).as("all of it acknowledged").isEqualTo(g.sndNxt);
    // A segment into the zero window: at most what room the kernel made since is taken (the
    // receiving kernel compacts its queue now and then), never the whole segment.
    g.send(g.sndNxt, Tcp.ACK | Tcp.PSH, new byte[0], Arrays.copyOfRange(data, sent, sent + 1000));
    Seg a = g.next(2000);
    assertThat(a).isNotNull();
    int taken = a.ack() - g.sndNxt;
    assertThat(taken).as("bytes taken beyond the window").isBetween(0, 999);
    assertThat(h.counters().get("segment beyond window")).isEqualTo(1);
    sent += taken;
    g.sndNxt += taken;
    g.absorb(a);
    // The server reads: the window opens without the guest asking.
    readNow.countDown();
    Seg update = g.next(5000);
    assertThat(update).as("window update").isNotNull();
    assertThat(update.payload()).isEmpty();
    assertThat(update.window()).isPositive();
    g.absorb(update);
    g.run(Arrays.copyOfRange(data, sent, data.length), true, () -> true, 30_000);
    assertThat(sv[0].got.get(10, TimeUnit.SECONDS)).as("every byte, once, in order").isEqualTo(data);
  }
}
