package io.passt4j.proto.dhcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.passt4j.PasstConfig;
import io.passt4j.packet.DomainNames;
import io.passt4j.testutil.FakeHandlerContext;
import io.passt4j.testutil.Golden;
import io.passt4j.testutil.TestConfigs;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our DHCP replies against Debian passt's: byte for byte, except option 119, where passt's
 * compression is wrong and ours is right (see {@link #passtOption119IsWrongOursIsRight()}).
 */
class DhcpGoldenTest {

  /** Where options start in a frame: Ethernet, IPv4, UDP, BOOTP fixed part and cookie. */
  static final int OPTIONS = 14 + 20 + 8 + 240;

  static List<byte[]> run(PasstConfig config, byte[] request) {
    FakeHandlerContext ctx = new FakeHandlerContext(config);
    DhcpHandler h = new DhcpHandler();
    h.start(ctx);
    return Golden.replay(h, ctx, request);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "08-dhcp-discover",                // OFFER, unicast to the assigned address and guest MAC
      "09-dhcp-request",                 // ACK
      "10-dhcp-discover-broadcast-flag", // still unicast; the flag is echoed
      "11-dhcp-discover-prl-reversed",   // options in ascending order whatever the PRL says
  })
  void matchesPasstExceptOption119(String exchange) {
    List<byte[]> ours = run(TestConfigs.sandbox(), Golden.request(exchange));
    List<byte[]> passt = Golden.replies(exchange);
    assertThat(ours).hasSize(1).hasSameSizeAs(passt);
    byte[] correct119 = DomainNames.encode(List.of("example.org", "test.example"), true, 255);
    byte[] expected = replaceOption(passt.get(0), 119, correct119);
    assertThat(Golden.hex(ours.get(0))).isEqualTo(Golden.hex(expected));
  }

  @Test
  void passtOption119IsWrongOursIsRight() {
    byte[] passt = Golden.replies("08-dhcp-discover").get(0);
    byte[] ours = run(TestConfigs.sandbox(), Golden.request("08-dhcp-discover")).get(0);
    // Debian passt (7c7625d): "test.example" compressed to "test" + pointer to "example.org"
    assertThat(decodeSearch(option(passt, 119))).containsExactly("example.org", "test.example.org");
    assertThat(decodeSearch(option(ours, 119))).containsExactly("example.org", "test.example");
  }

  @Test
  void option119CompressesWholeSuffixes() {
    PasstConfig c = TestConfigs.sandbox();
    c.searchDomains = List.of("example.org", "test.example.org", "a.test.example.org");
    byte[] v = option(run(c, Golden.request("08-dhcp-discover")).get(0), 119);
    assertThat(HexFormat.of().formatHex(v))
        .isEqualTo("076578616d706c65036f726700" + "0474657374c000" + "0161c00d");
    assertThat(decodeSearch(v)).containsExactlyElementsOf(c.searchDomains);
  }

  @Test
  void classlessRoutesWhenTheGatewayIsOutsideTheSubnet() {
    PasstConfig c = TestConfigs.sandbox();
    c.prefixLen4 = 32;
    byte[] r = run(c, Golden.request("08-dhcp-discover")).get(0);
    assertThat(HexFormat.of().formatHex(option(r, 121))).isEqualTo("20c633640100000000" + "00c6336401");
    assertThat(HexFormat.of().formatHex(option(r, 1))).isEqualTo("ffffffff");
    assertThat(option(run(TestConfigs.sandbox(), Golden.request("08-dhcp-discover")).get(0), 121))
        .isNull();
  }

  @Test
  void switchedOffOptionsAreAbsent() {
    PasstConfig c = TestConfigs.sandbox();
    c.noDhcpDns = true;
    c.noDhcpSearch = true;
    c.mtu = 0;
    byte[] r = run(c, Golden.request("08-dhcp-discover")).get(0);
    assertThat(option(r, 6)).isNull();
    assertThat(option(r, 119)).isNull();
    assertThat(option(r, 26)).isNull();
    assertThat(HexFormat.of().formatHex(option(r, 51))).isEqualTo("ffffffff");
    assertThat(HexFormat.of().formatHex(option(r, 54))).isEqualTo("c6336401");
    // padded to 60 bytes of options
    assertThat(r.length).isEqualTo(OPTIONS + 60);
  }

  @Test
  void mtuFromConfig() {
    PasstConfig c = TestConfigs.sandbox();
    c.mtu = 1500;
    byte[] r = run(c, Golden.request("08-dhcp-discover")).get(0);
    assertThat(HexFormat.of().formatHex(option(r, 26))).isEqualTo("05dc");
  }

  /** The value of option {@code code} in a reply frame, or null. */
  static byte[] option(byte[] frame, int code) {
    int p = OPTIONS;
    while (p + 2 <= frame.length && (frame[p] & 0xff) != 255) {
      int c = frame[p] & 0xff;
      int l = frame[p + 1] & 0xff;
      if (c == code) return java.util.Arrays.copyOfRange(frame, p + 2, p + 2 + l);
      p += 2 + l;
    }
    return null;
  }

  /** {@code frame} with the value of option {@code code} replaced, lengths and checksum fixed. */
  static byte[] replaceOption(byte[] frame, int code, byte[] value) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.write(frame, 0, OPTIONS);
    int p = OPTIONS;
    while ((frame[p] & 0xff) != 255) {
      int c = frame[p] & 0xff;
      int l = frame[p + 1] & 0xff;
      if (c == code) {
        o.write(c);
        o.write(value.length);
        o.writeBytes(value);
      } else {
        o.write(frame, p, 2 + l);
      }
      p += 2 + l;
    }
    o.write(255);
    o.write(0);
    while (o.size() < OPTIONS + 60) o.write(0);
    byte[] r = o.toByteArray();
    ByteBuf b = Unpooled.wrappedBuffer(r);
    b.setShort(16, r.length - 14);
    b.setShort(38, r.length - 34);
    Golden.fixIpv4HeaderChecksum(r);
    return r;
  }

  /** Decodes an RFC 1035 name list with compression pointers relative to the option data. */
  static List<String> decodeSearch(byte[] v) {
    List<String> names = new ArrayList<>();
    int p = 0;
    while (p < v.length) {
      StringBuilder sb = new StringBuilder();
      int q = p;
      boolean jumped = false;
      for (int hops = 0; hops < 64; hops++) {
        int l = v[q] & 0xff;
        if (l == 0) {
          if (!jumped) p = q + 1;
          break;
        }
        if ((l & 0xc0) == 0xc0) {
          if (!jumped) p = q + 2;
          jumped = true;
          q = ((l & 0x3f) << 8) | (v[q + 1] & 0xff);
          continue;
        }
        if (sb.length() > 0) sb.append('.');
        sb.append(new String(v, q + 1, l, java.nio.charset.StandardCharsets.US_ASCII));
        q += 1 + l;
      }
      names.add(sb.toString());
    }
    return names;
  }
}
