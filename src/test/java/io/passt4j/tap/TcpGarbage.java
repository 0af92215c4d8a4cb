package io.passt4j.tap;

import io.passt4j.packet.Tcp;
import io.passt4j.testutil.GuestTcp;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Hostile TCP from the guest, from a fixed seed: every combination of the eight flag bits, in
 * turn, on a live connection ({@link #flow}, with sequence numbers outside its window, so that a
 * correct stack must leave it alone) and on connections that do not exist (to the gateway, to
 * addresses with no route, to the test's server port); in-window data with a bad checksum; data
 * beyond the window; headers cut short; data offsets that lie; option lists with lengths of 0, 1,
 * 255 and past the header; MSS 0 and window scale 255; urgent pointers past the data; port 0.
 * Everything but the bad checksums carries correct checksums, so it reaches the TCP handler.
 */
final class TcpGarbage {

  static final String GUEST4 = HostileGuestTest.GUEST4;
  static final String GUEST6 = HostileGuestTest.GUEST6;
  /** Guest ports of connections that do not exist: never those of the transfers. */
  static final int STRANGER_PORTS = 20_000;

  private final Random r;
  private final byte[] ourMac;
  private final int serverPort;
  /** The live connection to aim at, or null. */
  volatile GuestTcp flow;
  final Map<String, Long> kinds = new TreeMap<>();
  /** Next flag combination of each sweep, and how many were sent. */
  int flowFlags;
  int strangerFlags;

  TcpGarbage(Random r, byte[] ourMac, int serverPort) {
    this.r = r;
    this.ourMac = ourMac;
    this.serverPort = serverPort;
  }

  /** Complete sweeps of all 256 flag combinations on the live connection. */
  int flowSweeps() {
    return flowFlags / 256;
  }

  /** Complete sweeps of all 256 flag combinations on connections that do not exist. */
  int strangerSweeps() {
    return strangerFlags / 256;
  }

  byte[] next() {
    GuestTcp f = flow;
    int k = r.nextInt(100);
    if (f != null) {
      if (k < 22) return count("flags on the connection", () -> flags(f, flowFlags++ & 0xff));
      if (k < 32) return count("bad checksum in window", () -> badChecksum(f));
      if (k < 40) return count("data beyond the window", () -> beyondWindow(f));
    }
    if (k < 62) return count("flags on no connection", () -> stranger(strangerFlags++ & 0xff));
    if (k < 72) return count("truncated header", () -> truncated(f));
    if (k < 82) return count("data offset lies", () -> offsetLies(f));
    if (k < 95) return count("option lists", () -> options(f));
    return count("urgent pointer, port 0", this::oddFields);
  }

  private byte[] count(String kind, Supplier<byte[]> s) {
    kinds.merge(kind, 1L, Long::sum);
    return s.get();
  }

  /** A segment of the live connection: {@code seq} far outside its window, any ACK. */
  private byte[] onFlow(GuestTcp f, int flags, byte[] options, byte[] payload) {
    int seq = f.sndNxt + (1 << 30) + r.nextInt(1 << 29);
    int ack = r.nextBoolean() ? f.rcvNxt : r.nextInt();
    return GuestTcp.frame(ourMac, f.guest, f.guestPort, f.remote, f.remotePort, seq, ack, flags,
        r.nextInt(0x10000), options, payload);
  }

  private byte[] flags(GuestTcp f, int flags) {
    return onFlow(f, flags, new byte[0], bytes(r.nextInt(4) == 0 ? r.nextInt(200) : 0));
  }

  /** In-window data at the next byte the handler expects, with a wrong checksum. */
  private byte[] badChecksum(GuestTcp f) {
    byte[] b = GuestTcp.frame(ourMac, f.guest, f.guestPort, f.remote, f.remotePort, f.sndNxt,
        f.rcvNxt, Tcp.ACK | Tcp.PSH, 65535, new byte[0], bytes(1 + r.nextInt(1400)));
    int csum = (b[12] == 0x08 ? 34 : 54) + 16;
    b[csum] ^= (byte) (1 + r.nextInt(255));
    return b;
  }

  /** Data starting past anything the handler's window allows. */
  private byte[] beyondWindow(GuestTcp f) {
    int seq = f.sndNxt + (2 << 20) + r.nextInt(1 << 20);
    return GuestTcp.frame(ourMac, f.guest, f.guestPort, f.remote, f.remotePort, seq, f.rcvNxt,
        Tcp.ACK | Tcp.PSH, 65535, new byte[0], bytes(1 + r.nextInt(8000)));
  }

  /** A segment for a connection that does not exist, with {@code flags}. */
  private byte[] stranger(int flags) {
    return stranger(flags, r.nextInt(3) == 0 ? GuestTcp.synOptions(1 + r.nextInt(9000), r.nextInt(16))
        : new byte[0], bytes(r.nextInt(5) == 0 ? r.nextInt(300) : 0));
  }

  private byte[] stranger(int flags, byte[] options, byte[] payload) {
    boolean v6 = r.nextInt(3) == 0;
    String dst = switch (r.nextInt(4)) {
      case 0 -> v6 ? "2001:db8::99" : "198.51.100.99";       // no route in the test namespace
      default -> v6 ? HostileGuestTest.GW6 : HostileGuestTest.GW4;
    };
    int dport = r.nextInt(6) == 0 ? serverPort : 1 + r.nextInt(65535);
    return GuestTcp.frame(ourMac, v6 ? GUEST6 : GUEST4, STRANGER_PORTS + r.nextInt(10_000), dst,
        dport, r.nextInt(), r.nextInt(), flags, r.nextInt(0x10000), options, payload);
  }

  /** The live connection's (out of window) or a stranger's SYN. */
  private byte[] any(GuestTcp f, int flags, byte[] options, byte[] payload) {
    return f != null && r.nextBoolean() ? onFlow(f, flags, options, payload)
        : stranger(flags, options, payload);
  }

  /** Cut inside the TCP header, the IP length telling the truth or not. */
  private byte[] truncated(GuestTcp f) {
    byte[] whole = any(f, randomFlags(), GuestTcp.synOptions(1460, 7), bytes(r.nextInt(64)));
    int l4 = whole[12] == 0x08 ? 34 : 54;
    byte[] cut = Arrays.copyOf(whole, l4 + r.nextInt(28));
    if (r.nextBoolean()) HostileGuestTest.agreeLengths(cut);
    HostileGuestTest.fixChecksums(cut);
    return cut;
  }

  /** A data offset below 5, or beyond the segment, or just wrong; checksum fixed. */
  private byte[] offsetLies(GuestTcp f) {
    byte[] b = any(f, randomFlags(), r.nextBoolean() ? GuestTcp.synOptions(1460, 7) : new byte[0],
        bytes(r.nextInt(40)));
    int l4 = b[12] == 0x08 ? 34 : 54;
    b[l4 + 12] = (byte) (r.nextInt(16) << 4 | (r.nextInt(8) == 0 ? r.nextInt(16) : 0));
    HostileGuestTest.fixChecksums(b);
    return b;
  }

  /** Option lists of every bad shape, on SYNs and on other segments. */
  private byte[] options(GuestTcp f) {
    byte[] o = new byte[4 * (1 + r.nextInt(10))];
    int p = 0;
    while (p < o.length) {
      int kind = switch (r.nextInt(8)) {
        case 0 -> Tcp.OPT_EOL;
        case 1 -> Tcp.OPT_NOP;
        case 2 -> Tcp.OPT_MSS;
        case 3 -> Tcp.OPT_WSCALE;
        case 4 -> 4 + r.nextInt(5);                         // SACK, timestamps...
        default -> r.nextInt(256);
      };
      o[p++] = (byte) kind;
      if (p >= o.length || kind == Tcp.OPT_NOP || (kind == Tcp.OPT_EOL && r.nextBoolean())) continue;
      int len = switch (r.nextInt(6)) {
        case 0 -> 0;
        case 1 -> 1;
        case 2 -> 255;
        case 3 -> o.length - p + 1 + r.nextInt(8);          // past the header
        default -> kind == Tcp.OPT_MSS ? 4 : kind == Tcp.OPT_WSCALE ? 3 : 2 + r.nextInt(10);
      };
      o[p++] = (byte) len;
      for (int i = 0; i < Math.max(0, len - 2) && p < o.length; i++) {
        o[p++] = (byte) (r.nextInt(3) == 0 ? 0xff : r.nextInt(256));  // MSS 0xffff or 0, WS 255
      }
    }
    int flags = r.nextBoolean() ? Tcp.SYN : randomFlags();
    return any(f, flags, o, bytes(r.nextInt(4) == 0 ? r.nextInt(100) : 0));
  }

  /** Urgent pointers past the data, port 0 on either side, window 0. */
  private byte[] oddFields() {
    byte[] b = stranger(randomFlags() | (r.nextBoolean() ? Tcp.URG : 0), new byte[0],
        bytes(r.nextInt(20)));
    int l4 = b[12] == 0x08 ? 34 : 54;
    switch (r.nextInt(3)) {
      case 0 -> { b[l4 + 18] = (byte) 0xff; b[l4 + 19] = (byte) 0xff; }
      case 1 -> { b[l4] = 0; b[l4 + 1] = 0; }
      default -> { b[l4 + 2] = 0; b[l4 + 3] = 0; }
    }
    HostileGuestTest.fixChecksums(b);
    return b;
  }

  private int randomFlags() {
    return r.nextInt(256);
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }
}
