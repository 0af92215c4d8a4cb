package io.passt4j.proto.tcp;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.passt4j.PasstConfig;
import io.passt4j.packet.Frame;
import io.passt4j.spi.TcpCallbacks;
import io.passt4j.testutil.FakeHostSockets;
import io.passt4j.testutil.FuzzConfigs;
import io.passt4j.testutil.FuzzFrames;
import io.passt4j.testutil.GuestFrames;
import io.passt4j.testutil.HandlerFuzz;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the TCP handler's state machine with whole frames ({@link HandlerFuzz} states what is
 * checked): guest segments of every flag combination, with options, sequence and acknowledgment
 * numbers chosen around what the handler last sent (in order, a little off, far off), windows
 * from zero up, payloads; interleaved with host events on {@link FakeHostSockets} (connects that
 * succeed or fail, data, the kernel taking queued bytes, FIN, reset, peers connecting to a {@code
 * -t} port) and time passing (the handler's timers). Nothing leaves the process.
 *
 * <p>Bounded state, after every step: at most {@link #MAX_CONNS} connections, no more host
 * sockets than that (plus the listener), and no host socket holding more queued guest bytes
 * than the handler's bound. At the end, after stop, every buffer is released and every socket
 * closed. Regression inputs: {@code TcpFuzzTestInputs/<method>/} in the test resources; a longer
 * campaign: {@code scripts/fuzz TcpFuzzTest}.
 */
class TcpFuzzTest {

  static final int MAX_CONNS = 4;
  static final int GUEST_QUEUE = 16 << 10;
  static final TcpHandler.Limits LIMITS =
      new TcpHandler.Limits(10_000, 2_000, 60_000, 7_200_000, 100, MAX_CONNS, GUEST_QUEUE, 32 << 10);
  /**
   * Connections the guest plays: (IP version, guest port, remote address, remote port). The
   * last two are what peers connecting to the -t port look like to the guest.
   */
  record Slot(int version, byte[] guest, int guestPort, byte[] remote, int remotePort) {}

  static final Slot[] SLOTS = {
      new Slot(4, v4(FuzzFrames.GUEST4), 40000, v4(FuzzFrames.GATEWAY4), 80),
      new Slot(4, v4(FuzzFrames.GUEST4), 40001, v4(0xc633644d), 22),
      new Slot(6, FuzzFrames.GUEST6, 40000, FuzzFrames.GATEWAY6, 80),
      new Slot(6, FuzzFrames.GUEST_LL6, 40002, FuzzFrames.v6("fe80::1"), 80),
      new Slot(4, v4(FuzzFrames.GUEST4), FuzzConfigs.TCP_TARGET, v4(FuzzFrames.GATEWAY4), 50000),
      new Slot(6, FuzzFrames.GUEST6, FuzzConfigs.TCP_TARGET, FuzzFrames.GATEWAY6, 50001),
  };

  static HandlerFuzz handler(PasstConfig config) {
    return new HandlerFuzz(new TcpPlugin(LIMITS), config);
  }

  /** What the guest knows of a slot's connection, from the handler's last segment. */
  static final class Seen {
    /** The handler's sequence number after its last segment (what the guest would ACK). */
    int next;
    /** The handler's last acknowledgment number (the guest's next sequence number). */
    int ack;
    boolean any;
    /** The host socket behind the connection and the handler's initial sequence number. */
    FakeHostSockets.Stream stream;
    int iss;
  }

  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void segments(FuzzedDataProvider data) {
    FuzzFrames g = new FuzzFrames(data);
    HandlerFuzz h = handler(FuzzConfigs.pick(data));
    TcpHandler tcp = (TcpHandler) h.handler;
    Seen[] seen = new Seen[SLOTS.length];
    for (int i = 0; i < seen.length; i++) seen[i] = new Seen();
    int listeners = h.sockets.openCount();
    boolean[] fail = {false};
    h.sockets.failOpen = () -> fail[0];
    int n = data.consumeInt(1, 40);
    for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
      int action = data.consumeInt(0, 15);
      FakeHostSockets.Stream cause = null;
      switch (action) {
        case 0, 1 -> cause = hostEvent(g, h.sockets);
        case 2 -> cause = accept(g, h.sockets);
        case 3 -> tcp.tick(System.nanoTime() / 1_000_000 + data.pickValue(new long[] {0,
            LIMITS.ackMs(), LIMITS.synMs(), LIMITS.finMs(), LIMITS.idleMs(),
            data.consumeLong(0, 2 * LIMITS.idleMs())}));
        case 4 -> fail[0] = !fail[0];
        default -> h.feed(segment(g, seen), data.consumeInt(0, 3));
      }
      observe(h, seen, cause);
      assertThat(tcp.size()).as("connections").isLessThanOrEqualTo(MAX_CONNS);
      assertThat(h.sockets.openCount()).as("open host sockets")
          .isLessThanOrEqualTo(MAX_CONNS + listeners);
      for (FakeHostSockets.Stream s : h.sockets.streams) {
        assertThat(s.pendingWriteBytes()).as("guest bytes queued on a host socket")
            .isLessThanOrEqualTo(GUEST_QUEUE);
      }
    }
    h.finish();
  }

  /** Any bytes as a frame. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void rawFrames(byte[] frame) {
    HandlerFuzz.once(handler(FuzzConfigs.SANDBOX), frame);
  }

  /** A guest segment on one of the slots, numbered around what the handler last sent. */
  static byte[] segment(FuzzFrames g, Seen[] seen) {
    FuzzedDataProvider d = g.data();
    int k = d.consumeInt(0, SLOTS.length - 1);
    Slot s = SLOTS[k];
    Seen w = seen[k];
    int flags = g.tcpFlags();
    boolean syn = (flags & 0x12) == 0x02;
    int seq = switch (d.consumeInt(0, 7)) {
      case 0 -> d.consumeInt();
      case 1 -> w.ack + d.consumeInt(-3000, 3000);
      default -> syn && !w.any ? 1000 * (k + 1) : w.ack;
    };
    int ack = switch (d.consumeInt(0, 7)) {
      case 0 -> d.consumeInt();
      case 1 -> w.next - d.consumeInt(0, 3000);
      case 2 -> w.next + d.consumeInt(1, 3000);
      default -> w.next;
    };
    int window = d.pickValue(new int[] {65535, 29200, 512, 1, 0, d.consumeInt(0, 0xffff)});
    byte[] options = syn || g.rarely() ? g.tcpOptions() : new byte[0];
    byte[] payload = d.consumeInt(0, 3) == 0 ? g.payload(d.consumeBoolean() ? 64 : 1400)
        : new byte[0];
    byte[] l4 = g.tcp(s.guestPort(), s.remotePort(), seq, ack, flags, window, options, payload);
    if (s.version() == 4) {
      return g.ipv4(6, g.rarely() ? g.addr4() : toInt(s.guest()), toInt(s.remote()), l4);
    }
    return g.ipv6(6, g.rarely() ? g.addr6() : s.guest(), s.remote(), 64, l4);
  }

  /** Something from the host side on one of the host sockets; the socket when it connected. */
  static FakeHostSockets.Stream hostEvent(FuzzFrames g, FakeHostSockets sockets) {
    FuzzedDataProvider d = g.data();
    List<FakeHostSockets.Stream> open = sockets.streams.stream().filter(s -> s.open).toList();
    if (open.isEmpty()) return null;
    FakeHostSockets.Stream s = d.pickValue(open);
    switch (d.consumeInt(0, 9)) {
      case 0 -> s.fail(d.pickValue(TcpCallbacks.ConnectFailure.values()));
      case 1 -> s.peerClose();
      case 2 -> s.reset();
      case 3, 4 -> s.drain(d.consumeLong(0, GUEST_QUEUE));
      case 5, 6 -> s.hostData(g.payload(d.consumeBoolean() ? 100 : 4000));
      default -> {
        s.connect();
        return s;
      }
    }
    return null;
  }

  /** A peer connecting to the -t port, from loopback or the sandbox's hosts; its socket. */
  static FakeHostSockets.Stream accept(FuzzFrames g, FakeHostSockets sockets) {
    FuzzedDataProvider d = g.data();
    List<FakeHostSockets.Listener> open = sockets.listeners.stream().filter(l -> l.open).toList();
    if (open.isEmpty()) return null;
    FakeHostSockets.Listener l = d.pickValue(open);
    boolean v6 = l.local.getAddress().getAddress().length == 16;
    InetAddress from = g.data().consumeInt(0, 3) == 0 ? g.hostAddress(v6) : loopback(v6);
    return l.accept(new InetSocketAddress(from, v6 ? 50001 : 50000));
  }

  /**
   * Reads the handler's segments to the guest into the slots' state, and checks that the data in
   * each is the host's, from the right place in its stream: the handler's SYN or SYN-ACK right
   * after a host socket connected ({@code cause}) ties the slot to that socket and gives the
   * initial sequence number; a data segment at sequence number {@code s} carries the host's
   * bytes from offset {@code s - iss - 1}, retransmissions included.
   */
  static void observe(HandlerFuzz h, Seen[] seen, FakeHostSockets.Stream cause) {
    for (ByteBuf b : h.ctx.sent) {
      Frame f = Frame.classify(Unpooled.wrappedBuffer(ByteBufUtil.getBytes(b)));
      if (f.malformed() != null || f.ipProtocol() != 6 || f.l4Length() < 20) continue;
      ByteBuf t = f.buf();
      int l4 = f.l4Offset();
      int guestPort = t.getUnsignedShort(l4 + 2);
      int remotePort = t.getUnsignedShort(l4);
      for (int k = 0; k < SLOTS.length; k++) {
        Slot slot = SLOTS[k];
        int alen = slot.guest().length;
        int srcAt = f.l3Offset() + (alen == 4 ? 12 : 8);
        if (slot.version() != f.ipVersion() || slot.guestPort() != guestPort
            || slot.remotePort() != remotePort
            || !java.util.Arrays.equals(bytes(t, srcAt, alen), slot.remote())
            || !java.util.Arrays.equals(bytes(t, srcAt + alen, alen), slot.guest())) {
          continue;
        }
        Seen w = seen[k];
        int flags = t.getUnsignedByte(l4 + 13);
        int hl = (t.getUnsignedByte(l4 + 12) >> 4) * 4;
        int seq = t.getInt(l4 + 4);
        int data = f.l4Length() - hl;
        if ((flags & 0x02) != 0) {
          if (cause != null) {
            w.stream = cause;
            w.iss = seq;
          } else if (w.iss != seq) {
            w.stream = null;
          }
        } else if (data > 0 && w.stream != null) {
          byte[] host = w.stream.fromHost.toByteArray();
          int off = seq - w.iss - 1;
          assertThat(off).as("segment within the host's data").isBetween(0, host.length - data);
          byte[] got = new byte[data];
          t.getBytes(l4 + hl, got);
          assertThat(got).as("host bytes at offset " + off)
              .isEqualTo(java.util.Arrays.copyOfRange(host, off, off + data));
        }
        w.next = seq + data + (flags & 0x01) + ((flags & 0x02) >> 1);
        if ((flags & 0x10) != 0) w.ack = t.getInt(l4 + 8);
        w.any = true;
      }
    }
    h.checkSent();
  }

  static byte[] bytes(ByteBuf b, int at, int n) {
    byte[] a = new byte[n];
    b.getBytes(at, a);
    return a;
  }

  static InetAddress loopback(boolean v6) {
    return GuestFrames.ip(v6 ? "::1" : "127.0.0.1");
  }

  static byte[] v4(int a) {
    return new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
  }

  static int toInt(byte[] a) {
    return ((a[0] & 0xff) << 24) | ((a[1] & 0xff) << 16) | ((a[2] & 0xff) << 8) | (a[3] & 0xff);
  }
}
