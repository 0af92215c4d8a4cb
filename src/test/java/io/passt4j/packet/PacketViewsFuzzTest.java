package io.passt4j.packet;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.passt4j.impl.Dispatcher;
import io.passt4j.spi.FrameSelector;
import io.passt4j.testutil.FuzzFrames;
import io.passt4j.testutil.HandlerFuzz;
import io.passt4j.testutil.TrackingAllocator;
import java.util.List;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the header views a guest's bytes reach before any handler: {@link Frame#classify}
 * (Ethernet, IPv4 with options and fragments, IPv6 with extension header chains), the
 * dispatcher, ICMP error building, and the option walkers of TCP, NDP, DHCP and DHCPv6. Each
 * target compares the view with a small model written from the RFCs here (what a well-formed
 * header is, where the upper layer starts, which options a list holds), and checks that nothing
 * throws and no accessor a validity check allowed reads outside the bytes given. Regression
 * inputs: {@code PacketViewsFuzzTestInputs/<method>/} in the test resources (seeded with the
 * golden captures); a longer campaign: {@code scripts/fuzz PacketViewsFuzzTest}.
 */
class PacketViewsFuzzTest {

  private static final Dispatcher EVERYTHING = new Dispatcher(List.of(
      new Dispatcher.Route(FrameSelector.etherType(EtherType.ARP), "arp"),
      new Dispatcher.Route(FrameSelector.ip(0, IpProtocol.UDP), "udp"),
      new Dispatcher.Route(FrameSelector.port(4, IpProtocol.UDP, 67), "dhcp"),
      new Dispatcher.Route(FrameSelector.port(0, IpProtocol.TCP, 80), "tcp80"),
      new Dispatcher.Route(FrameSelector.icmp(6, Icmp.V6_NEIGHBOR_SOLICITATION), "ndp"),
      new Dispatcher.Route(FrameSelector.ip(6, IpProtocol.ICMPV6), "icmp6")));

  /** Any bytes as a frame: classification against the model, routing, ICMP errors. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void classify(byte[] frame) {
    checkFrame(frame, 0);
    checkFrame(frame, 5);
  }

  /** Mostly valid IPv4 (options, fragments) and IPv6 (extension header chains) frames. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void ipHeaders(FuzzedDataProvider data) {
    FuzzFrames g = new FuzzFrames(data);
    int protocol = data.pickValue(new int[] {6, 17, 1, 58, 0, 43, 44, 59, 60, 132,
        data.consumeInt(0, 255)});
    byte[] l4 = g.payload(96);
    byte[] frame = data.consumeBoolean()
        ? g.ipv4(protocol, g.addr4(), g.addr4(), l4)
        : g.ipv6(protocol, g.addr6(), g.addr6(), 64, l4);
    checkFrame(frame, data.consumeInt(0, 3));
  }

  /** A TCP segment (header, options, payload): validity and the MSS and window scale options. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void tcpOptions(byte[] segment) {
    ByteBuf b = buffer(segment, 3);
    Tcp t = new Tcp().wrap(b, 3, segment.length);
    int[] want = Models.tcpOptions(segment);
    boolean valid = t.isValid(segment.length);
    assertThat(valid).as("TCP header valid").isEqualTo(want != null);
    if (!valid) return;
    boolean ok = t.parseOptions();
    assertThat(ok).as("TCP options well formed").isEqualTo(want[0] == 1);
    if (ok) {
      assertThat(t.mss()).as("MSS").isEqualTo(want[1]);
      assertThat(t.wscale()).as("window scale").isEqualTo(want[2]);
    }
    assertThat(t.payloadOffset() + t.payloadLength()).isEqualTo(3 + segment.length);
    Checksum.sum(b, 3, segment.length, 0);
  }

  /** An ICMPv6 message as NDP reads it: RS/NS with options that tile the rest exactly. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void ndpOptions(byte[] message) {
    ByteBuf b = buffer(message, 1);
    Ndp n = new Ndp().wrap(b, 1);
    boolean valid = n.isValid(message.length);
    assertThat(valid).as("ND message valid").isEqualTo(Models.ndpValid(message));
    if (valid && n.type() == Icmp.V6_NEIGHBOR_SOLICITATION) n.getTarget(new byte[16]);
  }

  /** A DHCP message: the fixed part, the cookie, options up to END; finding every option. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void dhcpOptions(byte[] message) {
    ByteBuf b = buffer(message, 2);
    Dhcp m = new Dhcp().wrap(b, 2);
    if (!m.isValid(message.length)) {
      assertThat(message.length >= Dhcp.OPTIONS && message[0] == 1
          && b.getInt(2 + 236) == Dhcp.MAGIC_COOKIE).as("BOOTREQUEST with cookie").isFalse();
      return;
    }
    boolean valid = m.areOptionsValid(message.length);
    assertThat(valid).as("DHCP options within the message").isEqualTo(Models.dhcpOptionsValid(message));
    if (!valid) return;
    for (int code : Models.dhcpCodes(message)) {
      int v = m.findOption(code, message.length);
      int at = Models.dhcpFind(message, code);
      if (v != (at < 0 ? -1 : 2 + at + 2)) {
        throw new AssertionError("option " + code + " found at " + v + ", model: " + at);
      }
      if (v >= 0 && v - 2 + m.optionLength(v) > message.length) {
        throw new AssertionError("option " + code + " runs past the message");
      }
    }
  }

  /** A DHCPv6 message: options (and IA sub-options) tiling their range exactly. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void dhcpv6Options(byte[] message) {
    ByteBuf b = buffer(message, 7);
    if (!Dhcpv6.isValid(message.length)) return;
    Dhcpv6 m = new Dhcpv6().wrap(b, 7);
    int from = m.optionsOffset();
    int end = 7 + message.length;
    boolean valid = m.areOptionsValid(from, end);
    assertThat(valid).as("DHCPv6 options tile the message")
        .isEqualTo(Models.dhcpv6Tiles(message, 4, message.length));
    if (!valid) return;
    for (int o = from; o < end; o = m.nextOption(o)) {
      int code = m.optionCode(o);
      assertThat(m.findOption(code, from, end)).as("first option " + code)
          .isEqualTo(7 + Models.dhcpv6Find(message, code));
      assertThat(m.optionData(o) + m.optionLength(o)).isLessThanOrEqualTo(end);
      if (code == Dhcpv6.OPTION_ORO) m.oroRequests(o, Dhcpv6.OPTION_DNS_SERVERS);
      if ((code == 3 || code == 4) && m.optionLength(o) >= (code == 3 ? 12 : 4)) {
        int sub = m.optionData(o) + (code == 3 ? 12 : 4);
        int subEnd = m.optionData(o) + m.optionLength(o);
        assertThat(m.areOptionsValid(sub, subEnd)).as("IA sub-options")
            .isEqualTo(Models.dhcpv6Tiles(message, sub - 7, subEnd - 7));
      }
    }
  }

  /** Classifies {@code frame} at reader index {@code headroom}, checks it against the model. */
  static void checkFrame(byte[] frame, int headroom) {
    ByteBuf b = buffer(frame, headroom);
    Frame f = Frame.classify(b);
    Models.Classified want = Models.classify(frame);
    assertThat(f.malformed() != null).as("malformed: " + f.malformed()).isEqualTo(want.malformed());
    assertThat(f.etherType()).as("EtherType").isEqualTo(want.etherType());
    if (!want.malformed()) {
      assertThat(f.ipVersion()).as("IP version").isEqualTo(want.ipVersion());
      assertThat(f.ipProtocol()).as("protocol").isEqualTo(want.protocol());
      assertThat(f.l4Offset()).as("transport offset")
          .isEqualTo(want.l4() < 0 ? Frame.NONE : headroom + want.l4());
      assertThat(f.l4Length()).as("transport length").isEqualTo(want.l4Length());
      if (f.l4Offset() != Frame.NONE) {
        assertThat(f.l4Offset() + f.l4Length()).as("transport inside the frame")
            .isLessThanOrEqualTo(headroom + frame.length);
      }
      EVERYTHING.route(f);
      errors(f);
      views(f, frame);
    }
    f.release();
  }

  /**
   * The ARP, UDP, ICMP and TCP views on a classified frame: valid exactly when the model says
   * so, and then every accessor and checksum readable without a read outside the frame.
   */
  static void views(Frame f, byte[] frame) {
    ByteBuf b = f.buf();
    if (f.etherType() == EtherType.ARP.value()) {
      Arp a = new Arp().wrap(b, f.l3Offset());
      boolean valid = a.isValid(f.length() - Ethernet.SIZE);
      assertThat(valid).as("ARP valid").isEqualTo(Models.arpValid(frame));
      if (valid) {
        a.operation();
        b.getBytes(a.senderHardwareAddressOffset(), new byte[6]);
        a.senderProtocolAddress();
        a.targetProtocolAddress();
      }
      return;
    }
    int l4 = f.l4Offset();
    int len = f.l4Length();
    if (l4 == Frame.NONE) return;
    long pseudo = f.ipVersion() == 4
        ? Checksum.pseudoHeader4(b.getInt(f.l3Offset() + 12), b.getInt(f.l3Offset() + 16),
            f.ipProtocol(), len)
        : Checksum.pseudoHeader6(b, f.l3Offset() + 8, f.ipProtocol(), len);
    switch (f.ipProtocol()) {
      case 17 -> {
        Udp u = new Udp().wrap(b, l4);
        boolean valid = u.isValid(len);
        assertThat(valid).as("UDP valid").isEqualTo(len >= 8
            && Models.u16(frame, l4 - f.offset() + 4) >= 8
            && Models.u16(frame, l4 - f.offset() + 4) <= len);
        if (valid) {
          u.isChecksumValid(pseudo, f.ipVersion() == 4);
          assertThat(u.payloadOffset() + u.payloadLength()).isLessThanOrEqualTo(l4 + len);
        }
      }
      case 1, 58 -> {
        assertThat(Icmp.isValid(len)).as("ICMP valid").isEqualTo(len >= Icmp.SIZE);
        if (Icmp.isValid(len)) {
          Icmp i = new Icmp().wrap(b, l4);
          i.type();
          i.code();
          i.identifier();
          i.sequence();
          i.isChecksumValid(len, f.ipProtocol() == 1 ? 0 : pseudo);
        }
      }
      case 6 -> {
        Tcp t = new Tcp().wrap(b, l4, len);
        if (t.isValid(len)) {
          t.parseOptions();
          t.isChecksumValid(pseudo);
          assertThat(t.payloadOffset() + t.payloadLength()).isEqualTo(l4 + len);
        }
      }
      default -> { }
    }
  }

  /** Every kind of ICMP error about the frame: none, or a well-formed one within the limits. */
  static void errors(Frame f) {
    TrackingAllocator alloc = new TrackingAllocator();
    for (IcmpErrors.Kind k : IcmpErrors.Kind.values()) {
      ByteBuf e = IcmpErrors.build(alloc, f, k, FuzzFrames.OUR_MAC);
      if (e == null) continue;
      try {
        byte[] bytes = io.netty.buffer.ByteBufUtil.getBytes(e);
        HandlerFuzz.assertWellFormed(bytes, FuzzFrames.OUR_MAC);
        assertThat(bytes.length - Ethernet.SIZE).as("error size").isLessThanOrEqualTo(
            f.ipVersion() == 4 ? IcmpErrors.MAX_IPV4_ERROR : IcmpErrors.MAX_IPV6_ERROR);
      } finally {
        e.release();
      }
    }
    assertThat(alloc.unreleased()).isEmpty();
  }

  /** {@code bytes} at reader index {@code headroom} of a buffer holding nothing after them. */
  static ByteBuf buffer(byte[] bytes, int headroom) {
    ByteBuf b = Unpooled.buffer(headroom + bytes.length, headroom + bytes.length);
    b.writeZero(headroom).writeBytes(bytes).readerIndex(headroom);
    return b;
  }

  /** What the RFCs say, written plainly, without the views. Offsets relative to the bytes given. */
  static final class Models {

    record Classified(boolean malformed, int etherType, int ipVersion, int protocol, int l4,
        int l4Length) {}

    static int u8(byte[] a, int i) {
      return a[i] & 0xff;
    }

    static int u16(byte[] a, int i) {
      return (u8(a, i) << 8) | u8(a, i + 1);
    }

    static Classified classify(byte[] f) {
      if (f.length < 14) return new Classified(true, -1, 0, -1, -1, 0);
      int type = u16(f, 12);
      if (type == 0x0800) {
        int len = f.length - 14;
        if (len < 20) return bad(type);
        int ver = u8(f, 14) >> 4;
        int hl = (u8(f, 14) & 15) * 4;
        int total = u16(f, 16);
        if (ver != 4 || hl < 20 || total < hl || total > len) return bad(type);
        boolean fragment = (u16(f, 20) & 0x3fff) != 0;
        if (fragment) return bad(type);
        return new Classified(false, type, 4, u8(f, 23), 14 + hl, total - hl);
      }
      if (type == 0x86dd) {
        int len = f.length - 14;
        if (len < 40 || u8(f, 14) >> 4 != 6) return bad(type);
        int plen = u16(f, 18);
        if (40 + plen > len) return bad(type);
        int end = 14 + 40 + plen;
        int next = u8(f, 20);
        int pos = 14 + 40;
        for (int headers = 0; ; headers++) {
          boolean ext = next == 0 || next == 43 || next == 60;
          if (!ext) {
            if (next == 44 || next == 59) return bad(type); // fragment, no next header
            return new Classified(false, type, 6, next, pos, end - pos);
          }
          if (headers == Ipv6.MAX_EXTENSION_HEADERS) return bad(type);
          if (pos + 8 > end) return bad(type);
          int hlen = (u8(f, pos + 1) + 1) * 8;
          next = u8(f, pos);
          pos += hlen;
          if (pos > end) return bad(type);
        }
      }
      return new Classified(false, type, 0, -1, -1, 0);
    }

    private static Classified bad(int type) {
      return new Classified(true, type, 0, -1, -1, 0);
    }

    /** {well formed ? 1 : 0, last MSS or -1, last window scale or -1}; null: bad header. */
    static int[] tcpOptions(byte[] s) {
      if (s.length < 20) return null;
      int hl = (u8(s, 12) >> 4) * 4;
      if (hl < 20 || hl > s.length) return null;
      int mss = -1;
      int ws = -1;
      int p = 20;
      while (p < hl) {
        int kind = u8(s, p);
        if (kind == 0) break;
        if (kind == 1) {
          p++;
          continue;
        }
        if (p + 2 > hl) return new int[] {0, mss, ws};
        int len = u8(s, p + 1);
        if (len < 2 || p + len > hl) return new int[] {0, mss, ws};
        if (kind == 2) {
          if (len != 4) return new int[] {0, mss, ws};
          mss = u16(s, p + 2);
        } else if (kind == 3) {
          if (len != 3) return new int[] {0, mss, ws};
          ws = u8(s, p + 2);
        }
        p += len;
      }
      return new int[] {1, mss, ws};
    }

    /** An Ethernet frame holds a whole Ethernet/IPv4 ARP packet (RFC 826). */
    static boolean arpValid(byte[] f) {
      return f.length >= 14 + 28 && u16(f, 14) == 1 && u16(f, 16) == 0x0800 && u8(f, 18) == 6
          && u8(f, 19) == 4;
    }

    static boolean ndpValid(byte[] m) {
      if (m.length < 8 || u8(m, 1) != 0) return false;
      int fixed = switch (u8(m, 0)) {
        case 133 -> 8;
        case 135 -> 24;
        default -> -1;
      };
      if (fixed < 0 || m.length < fixed) return false;
      int p = fixed;
      while (p < m.length) {
        if (p + 2 > m.length || u8(m, p + 1) == 0) return false;
        p += u8(m, p + 1) * 8;
      }
      return p == m.length;
    }

    static boolean dhcpOptionsValid(byte[] m) {
      int p = 240;
      while (p < m.length) {
        int code = u8(m, p);
        if (code == 255) return true;
        if (code == 0) {
          p++;
          continue;
        }
        if (p + 2 > m.length || p + 2 + u8(m, p + 1) > m.length) return false;
        p += 2 + u8(m, p + 1);
      }
      return true;
    }

    /** The codes of the options before END, and a few absent ones. */
    static java.util.Set<Integer> dhcpCodes(byte[] m) {
      java.util.Set<Integer> codes = new java.util.TreeSet<>(List.of(1, 53, 61, 254));
      int p = 240;
      while (p + 2 <= m.length && u8(m, p) != 255) {
        codes.add(u8(m, p));
        p += u8(m, p) == 0 ? 1 : 2 + u8(m, p + 1);
      }
      codes.remove(0);
      return codes;
    }

    /** Offset of the first option {@code code} before END, or -1. */
    static int dhcpFind(byte[] m, int code) {
      int p = 240;
      while (p + 2 <= m.length) {
        int c = u8(m, p);
        if (c == 255) return -1;
        if (c == 0) {
          p++;
          continue;
        }
        if (c == code) return p;
        p += 2 + u8(m, p + 1);
      }
      return -1;
    }

    static boolean dhcpv6Tiles(byte[] m, int from, int end) {
      int p = from;
      while (p < end) {
        if (p + 4 > end) return false;
        p += 4 + u16(m, p + 2);
      }
      return p == end;
    }

    /** Offset of the first option {@code code} of the message (options valid), or -1. */
    static int dhcpv6Find(byte[] m, int code) {
      for (int p = 4; p + 4 <= m.length; p += 4 + u16(m, p + 2)) {
        if (u16(m, p) == code) return p;
      }
      return -1;
    }
  }
}
