package io.passt4j.testutil;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.passt4j.packet.Checksum;
import io.passt4j.packet.Frame;
import io.passt4j.packet.IpProtocol;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Builds guest frames from a fuzzer's choices ({@link FuzzedDataProvider}) that are mostly valid:
 * lengths that agree, checksums that verify, addresses from the sandbox's palette, so that the
 * fuzzer gets past the checks at the door to the code behind them; and, now and then, one field
 * that lies (a length, a checksum, a version, an option length, a truncation), so that every check
 * is exercised too. IPv4 headers get options and fragment fields, IPv6 headers extension header
 * chains. The sandbox is {@link TestConfigs#sandbox()}: guest 198.51.100.2 and 2001:db8::2,
 * gateway .1 and ::1, our MAC 02:00:00:00:00:02.
 *
 * <p>One instance per fuzz input; it consumes the provider's bytes as it goes.
 */
public final class FuzzFrames {

  public static final byte[] OUR_MAC = {2, 0, 0, 0, 0, 2};
  public static final byte[] GUEST_MAC = HandlerHarness.GUEST_MAC;
  public static final byte[] BROADCAST_MAC = {-1, -1, -1, -1, -1, -1};

  public static final int GUEST4 = 0xc6336402;   // 198.51.100.2
  public static final int GATEWAY4 = 0xc6336401; // 198.51.100.1
  /**
   * IPv4 addresses worth trying: ours, the gateway, the resolver, another host of the subnet,
   * unspecified, broadcast (limited and directed), multicast, loopback, elsewhere.
   */
  public static final int[] V4 = {GUEST4, GATEWAY4, 0xc6336435, 0xc633644d, 0, -1, 0xc63364ff,
      0xe0000001, 0xe00000fb, 0x7f000001, 0xc0000201, 0x0a000001};

  public static final byte[] GUEST6 = v6("2001:db8::2");
  public static final byte[] GATEWAY6 = v6("2001:db8::1");
  public static final byte[] OUR_LL6 = v6("fe80::ff:fe00:2");
  public static final byte[] GUEST_LL6 = v6("fe80::5054:ff:fe12:3456");
  public static final byte[] ALL_NODES6 = v6("ff02::1");
  /** IPv6 addresses worth trying, the same kinds as {@link #V4}, plus link-local ones. */
  public static final byte[][] V6 = {GUEST6, GATEWAY6, OUR_LL6, GUEST_LL6, v6("::"), ALL_NODES6,
      v6("ff02::2"), v6("ff02::1:2"), v6("ff02::1:ff00:2"), v6("::1"), v6("2001:db8::53"),
      v6("2001:db8::77"), v6("::ffff:198.51.100.1"), v6("fe80::1")};

  private final FuzzedDataProvider d;

  public FuzzFrames(FuzzedDataProvider d) {
    this.d = d;
  }

  public FuzzedDataProvider data() {
    return d;
  }

  /** True about one time in sixteen: for the field that lies. */
  public boolean rarely() {
    return d.consumeInt(0, 15) == 0;
  }

  public int addr4() {
    return rarely() ? d.consumeInt() : d.pickValue(V4);
  }

  public byte[] addr6() {
    return rarely() ? bytes(16) : d.pickValue(V6).clone();
  }

  /** {@code n} bytes from the input (zeros where it ran out). */
  public byte[] bytes(int n) {
    byte[] b = d.consumeBytes(n);
    return b.length == n ? b : java.util.Arrays.copyOf(b, n);
  }

  /** An address as a host-side peer shows up: loopback, the sandbox's hosts, anything. */
  public InetAddress hostAddress(boolean v6) {
    if (rarely()) v6 = !v6;
    byte[] a = v6 ? addr6() : ByteBuffer.allocate(4).putInt(d.consumeBoolean() ? 0x7f000001
        : addr4()).array();
    try {
      return InetAddress.getByAddress(a);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** One of the datagram sockets still open, or null. */
  public FakeHostSockets.Datagram openDatagram(FakeHostSockets sockets) {
    List<FakeHostSockets.Datagram> open = sockets.datagrams.stream().filter(s -> s.open).toList();
    return open.isEmpty() ? null : d.pickValue(open);
  }

  public static byte[] concat(byte[] a, byte[] b) {
    return ByteBuffer.allocate(a.length + b.length).put(a).put(b).array();
  }

  /** A payload of up to {@code max} bytes. */
  public byte[] payload(int max) {
    return d.consumeBytes(d.consumeInt(0, max));
  }

  // ---------------------------------------------------------------- Ethernet

  /**
   * An Ethernet frame: to us (or broadcast, multicast, anyone), from the guest (or anyone), of
   * {@code etherType} (or, rarely, another), and sometimes padded as on a wire.
   */
  public byte[] ethernet(int etherType, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(14 + payload.length + 64);
    switch (d.consumeInt(0, 7)) {
      case 0 -> b.put(BROADCAST_MAC);
      case 1 -> b.put(new byte[] {0x33, 0x33, 0, 0, 0, 1});
      case 2 -> b.put(bytes(6));
      default -> b.put(OUR_MAC);
    }
    b.put(rarely() ? bytes(6) : GUEST_MAC);
    b.putShort((short) (rarely() ? d.pickValue(new int[] {0x8100, 0x88b5, 0, 0xffff, 0x0800,
        0x86dd, 0x0806, d.consumeInt(0, 0xffff)}) : etherType));
    b.put(payload);
    if (rarely()) b.put(d.consumeBoolean() ? new byte[d.consumeInt(1, 64)] : payload(64));
    return finish(java.util.Arrays.copyOf(b.array(), b.position()));
  }

  // ---------------------------------------------------------------- IPv4

  /** An IPv4 frame carrying {@code l4} as {@code protocol}, from {@code src} to {@code dst}. */
  public byte[] ipv4(int protocol, int src, int dst, byte[] l4) {
    byte[] opts = rarely() || d.consumeInt(0, 7) == 0 ? ipv4Options() : new byte[0];
    int ihl = 5 + opts.length / 4;
    if (rarely()) ihl = d.consumeInt(0, 15);
    ByteBuffer b = ByteBuffer.allocate(20 + opts.length + l4.length);
    b.put((byte) (((rarely() ? d.consumeInt(0, 15) : 4) << 4) | ihl));
    b.put(d.consumeByte());
    int total = 20 + opts.length + l4.length;
    b.putShort((short) (rarely() ? lie(total) : total));
    b.putShort(d.consumeShort());
    int frag = switch (d.consumeInt(0, 15)) {
      case 0 -> 0x2000 | d.consumeInt(0, 0x1fff);       // more fragments
      case 1 -> d.consumeInt(1, 0x1fff);                // a later fragment
      case 2 -> d.consumeInt(0, 0xffff);                // any flags
      case 3, 4, 5, 6, 7, 8 -> 0x4000;                  // DF, as Linux sends
      default -> 0;
    };
    b.putShort((short) frag);
    b.put((byte) (rarely() ? d.consumeInt(0, 255) : 64));
    b.put((byte) (rarely() ? d.consumeInt(0, 255) : protocol));
    b.putShort((short) 0); // checksum: finish() fixes it
    b.putInt(src).putInt(dst);
    b.put(opts).put(l4);
    return ethernet(0x0800, b.array());
  }

  /** IPv4 options (RFC 791): NOP, EOL, record route, timestamp, anything; padded to 4 bytes. */
  public byte[] ipv4Options() {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    int n = d.consumeInt(0, 6);
    for (int i = 0; i < n && o.size() < 40; i++) {
      int kind = d.pickValue(new int[] {0, 1, 7, 68, 130, 131, 137, 148, d.consumeInt(0, 255)});
      o.write(kind);
      if (kind == 0 || kind == 1) continue;
      int len = d.consumeInt(2, 12);
      o.write(rarely() ? d.consumeInt(0, 255) : len);
      o.writeBytes(bytes(len - 2));
    }
    byte[] a = o.toByteArray();
    return java.util.Arrays.copyOf(a, Math.min(40, (a.length + 3) / 4 * 4));
  }

  // ---------------------------------------------------------------- IPv6

  /**
   * An IPv6 frame carrying {@code l4} as {@code next}, after an extension header chain now and
   * then (hop-by-hop, routing, destination options, fragment, no next header, or anything).
   */
  public byte[] ipv6(int next, byte[] src, byte[] dst, int hopLimit, byte[] l4) {
    ByteArrayOutputStream ext = new ByteArrayOutputStream();
    int first = next;
    if (d.consumeInt(0, 5) == 0) {
      int n = d.consumeInt(1, 10);
      int[] types = new int[n];
      for (int i = 0; i < n; i++) {
        types[i] = d.pickValue(new int[] {0, 43, 60, 60, 0, 44, 59, 51, d.consumeInt(0, 255)});
      }
      first = types[0];
      for (int i = 0; i < n; i++) {
        int following = i + 1 < n ? types[i + 1] : next;
        int units = rarely() ? d.consumeInt(0, 255) : d.consumeInt(0, 2);
        int len = types[i] == 44 ? 8 : (units + 1) * 8;
        ext.write(following);
        ext.write(types[i] == 44 ? 0 : units);
        ext.writeBytes(bytes(Math.min(len, 8 * 8) - 2));
      }
    }
    byte[] e = ext.toByteArray();
    ByteBuffer b = ByteBuffer.allocate(40 + e.length + l4.length);
    int vtf = ((rarely() ? d.consumeInt(0, 15) : 6) << 28) | d.consumeInt(0, 0xfffff);
    b.putInt(vtf);
    int plen = e.length + l4.length;
    b.putShort((short) (rarely() ? lie(plen) : plen));
    b.put((byte) (rarely() ? d.consumeInt(0, 255) : first));
    b.put((byte) (rarely() ? d.consumeInt(0, 255) : hopLimit));
    b.put(src).put(dst).put(e).put(l4);
    return ethernet(0x86dd, b.array());
  }

  // ---------------------------------------------------------------- transport

  /** A UDP header and payload; its length mostly right (the checksum is fixed by finish()). */
  public byte[] udp(int sport, int dport, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
    b.putShort((short) sport).putShort((short) dport);
    int len = 8 + payload.length;
    b.putShort((short) (rarely() ? lie(len) : len));
    b.putShort((short) (d.consumeInt(0, 31) == 0 ? 0 : 1)); // 0: no checksum (IPv4 only)
    b.put(payload);
    return b.array();
  }

  /** Common TCP flag combinations, and now and then any. */
  public int tcpFlags() {
    return rarely() ? d.consumeInt(0, 255)
        : d.pickValue(new int[] {0x02, 0x12, 0x10, 0x18, 0x11, 0x19, 0x04, 0x14, 0x01, 0x03, 0x06,
            0x00, 0x3f, 0x29, 0xc2});
  }

  /** TCP options (RFC 9293, 7323, 2018): MSS, window scale, SACK, timestamps, NOP, EOL, any. */
  public byte[] tcpOptions() {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    int n = d.consumeInt(0, 6);
    for (int i = 0; i < n && o.size() < 40; i++) {
      int kind = d.pickValue(new int[] {2, 3, 4, 8, 1, 1, 0, 5, 30, d.consumeInt(0, 255)});
      o.write(kind);
      if (kind == 0 || kind == 1) continue;
      int len = switch (kind) {
        case 2 -> 4;
        case 3 -> 3;
        case 4 -> 2;
        case 8 -> 10;
        default -> d.consumeInt(2, 18);
      };
      if (rarely()) len = d.consumeInt(0, 255);
      o.write(len);
      if (kind == 2 && len == 4) {
        int mss = d.pickValue(new int[] {1460, 536, 65495, 0, 1, 88, 1220, d.consumeInt(0, 0xffff)});
        o.write(mss >> 8);
        o.write(mss);
      } else if (kind == 3 && len == 3) {
        o.write(d.pickValue(new int[] {7, 0, 14, 15, 255, d.consumeInt(0, 255)}));
      } else {
        o.writeBytes(bytes(Math.max(0, Math.min(len, 40) - 2)));
      }
    }
    byte[] a = o.toByteArray();
    return java.util.Arrays.copyOf(a, Math.min(40, (a.length + 3) / 4 * 4));
  }

  /** A TCP segment: header with {@code options} (data offset mostly right), then payload. */
  public byte[] tcp(int sport, int dport, int seq, int ack, int flags, int window, byte[] options,
      byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(20 + options.length + payload.length);
    b.putShort((short) sport).putShort((short) dport).putInt(seq).putInt(ack);
    int off = 5 + options.length / 4;
    if (rarely()) off = d.consumeInt(0, 15);
    b.put((byte) (off << 4)).put((byte) flags).putShort((short) window);
    b.putShort((short) 0).putShort((short) (rarely() ? d.consumeInt(0, 0xffff) : 0));
    b.put(options).put(payload);
    return b.array();
  }

  /** An ICMP or ICMPv6 message: type, code, checksum (fixed by finish()), then {@code rest}. */
  public static byte[] icmp(int type, int code, byte[] rest) {
    ByteBuffer b = ByteBuffer.allocate(4 + rest.length);
    b.put((byte) type).put((byte) code).putShort((short) 0).put(rest);
    return b.array();
  }

  // ---------------------------------------------------------------- lies and checksums

  /** A length that lies: zero, one short, one long, or anything. */
  public int lie(int truth) {
    return switch (d.consumeInt(0, 4)) {
      case 0 -> 0;
      case 1 -> Math.max(0, truth - 1);
      case 2 -> truth + 1;
      case 3 -> 0xffff;
      default -> d.consumeInt(0, 0xffff);
    } & 0xffff;
  }

  /**
   * Fixes the checksums (mostly), then now and then flips a byte or cuts the frame short: the
   * last touch on every frame.
   */
  private byte[] finish(byte[] f) {
    if (!rarely()) fixChecksums(f);
    if (rarely() && f.length > 0) f[d.consumeInt(0, f.length - 1)] ^= (byte) d.consumeInt(1, 255);
    if (rarely()) f = java.util.Arrays.copyOf(f, d.consumeInt(0, f.length));
    return f;
  }

  /**
   * Sets the IPv4 header checksum, and the UDP, TCP, ICMP or ICMPv6 checksum where the frame
   * classifies well enough to compute it (over the lengths the headers announce, lies included,
   * as far as they lie within the frame).
   */
  public static void fixChecksums(byte[] f) {
    if (f.length < 14) return;
    fixIpv4HeaderChecksum(f);
    ByteBuf b = Unpooled.wrappedBuffer(f);
    Frame fr = Frame.classify(b);
    if (fr.malformed() != null || fr.l4Offset() == Frame.NONE) return;
    int l4 = fr.l4Offset();
    int len = fr.l4Length();
    int p = fr.ipProtocol();
    long pseudo;
    int csum;
    if (p == IpProtocol.UDP.value() && len >= 8) {
      len = b.getUnsignedShort(l4 + 4);
      if (len < 8 || len > fr.l4Length() || b.getUnsignedShort(l4 + 6) == 0) return;
      csum = l4 + 6;
    } else if (p == IpProtocol.TCP.value() && len >= 20) {
      csum = l4 + 16;
    } else if ((p == IpProtocol.ICMP.value() || p == IpProtocol.ICMPV6.value()) && len >= 4) {
      csum = l4 + 2;
    } else {
      return;
    }
    if (p == IpProtocol.ICMP.value()) {
      pseudo = 0;
    } else if (fr.ipVersion() == 4) {
      pseudo = Checksum.pseudoHeader4(b.getInt(26), b.getInt(30), p, len);
    } else {
      pseudo = Checksum.pseudoHeader6(b, 22, p, len);
    }
    b.setShort(csum, 0);
    int c = Checksum.fold(Checksum.sum(b, l4, len, pseudo));
    b.setShort(csum, c == 0 && p == IpProtocol.UDP.value() ? 0xffff : c);
  }

  /**
   * Sets the header checksum of an Ethernet/IPv4 frame, over the header length it announces
   * (options included), when that lies within the frame.
   */
  public static void fixIpv4HeaderChecksum(byte[] f) {
    ByteBuf b = Unpooled.wrappedBuffer(f);
    if (f.length < 34 || b.getUnsignedShort(12) != 0x0800) return;
    int hl = (b.getUnsignedByte(14) & 0xf) * 4;
    if (hl >= 20 && 14 + hl <= f.length) {
      b.setShort(24, 0);
      b.setShort(24, Checksum.compute(b, 14, hl));
    }
  }

  /** An IPv6 address literal's bytes. */
  public static byte[] v6(String literal) {
    byte[] a = GuestFrames.ip(literal).getAddress();
    if (a.length == 16) return a;
    byte[] m = new byte[16]; // ::ffff:a.b.c.d comes back as an IPv4 address
    m[10] = -1;
    m[11] = -1;
    System.arraycopy(a, 0, m, 12, 4);
    return m;
  }
}
