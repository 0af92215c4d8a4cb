package io.passt4j.cli;

import io.passt4j.PasstConfig;
import io.passt4j.impl.host.InetLiteral;
import java.io.PrintStream;
import java.net.InetAddress;

/**
 * The configuration summary passt prints once host detection is done (its conf_print()), line
 * for line: template and outbound interfaces, our MAC, what DHCP and NDP/DHCPv6 will assign,
 * resolvers and search list per family.
 */
public final class StartupInfo {

  private StartupInfo() {}

  /** Prints the block to {@code out} (passt writes it to stderr). */
  public static void print(PrintStream out, Options o) {
    out.print(text(o));
    out.flush();
  }

  /** The block, each line ending in '\n'. */
  public static String text(Options o) {
    PasstConfig c = o.config;
    StringBuilder b = new StringBuilder();
    line(b, "Template interface: " + pair(c.ipv4 ? c.ifname4 : null, c.ipv6 ? c.ifname6 : null));
    if (c.outboundIf4 != null || c.outboundIf6 != null)
      line(b, "Outbound interface: " + pair(c.outboundIf4, c.outboundIf6));
    if (c.outbound4 != null || c.outbound6 != null) {
      String a4 = c.outbound4 == null ? "" : fmt(c.outbound4);
      String a6 = c.outbound6 == null ? "" : fmt(c.outbound6);
      line(b, "Outbound address: " + a4 + (!a4.isEmpty() && !a6.isEmpty() ? ", " : "") + a6);
    }
    if (o.mode == PasstConfig.Mode.PASTA) line(b, "Namespace interface: " + nz(o.nsIfname));
    line(b, "MAC:");
    line(b, "    host: " + PasstConfig.formatMac(c.ourMac));

    if (c.ipv4) {
      if (c.handlerEnabled("dhcp")) {
        line(b, "DHCP:");
        line(b, "    assign: " + or(c.addr4, "0.0.0.0"));
        line(b, "    mask: " + mask(c.prefixLen4));
        line(b, "    router: " + or(c.gateway4, "0.0.0.0"));
      }
      list(b, "DNS:", c.dns4.stream().map(StartupInfo::fmt).toList());
      list(b, "DNS search list:", c.searchDomains);
    }
    if (c.ipv6) {
      boolean ndp = c.handlerEnabled("ndp"), dhcpv6 = c.handlerEnabled("dhcpv6");
      if (ndp || dhcpv6) {
        // passt 2023 labels the DHCPv6-only case "NDP:" and the reverse: we say what runs
        line(b, ndp && dhcpv6 ? "NDP/DHCPv6:" : ndp ? "NDP:" : "DHCPv6:");
        line(b, "    assign: " + or(c.addr6, "::"));
        line(b, "    router: " + or(c.gateway6, "::"));
        line(b, "    our link-local: " + or(c.addrLinkLocal6, "::"));
      }
      list(b, "DNS:", c.dns6.stream().map(StartupInfo::fmt).toList());
      list(b, "DNS search list:", c.searchDomains);
    }
    return b.toString();
  }

  private static String pair(String v4, String v6) {
    return (v4 != null ? v4 + " (IPv4)" : "") + (v4 != null && v6 != null ? ", " : "")
        + (v6 != null ? v6 + " (IPv6)" : "");
  }

  private static void list(StringBuilder b, String title, java.util.List<String> items) {
    if (items.isEmpty()) return;
    line(b, title);
    for (String s : items) line(b, "    " + s);
  }

  static String mask(int prefixLen) {
    long m = prefixLen == 0 ? 0 : (0xffffffffL << (32 - prefixLen)) & 0xffffffffL;
    return (m >> 24) + "." + ((m >> 16) & 0xff) + "." + ((m >> 8) & 0xff) + "." + (m & 0xff);
  }

  private static String fmt(InetAddress a) {
    return a == null ? "" : InetLiteral.format(a);
  }

  /** inet_ntop of an unset address prints the unspecified one. */
  private static String or(InetAddress a, String unset) {
    return a == null ? unset : fmt(a);
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  private static void line(StringBuilder b, String s) {
    b.append(s).append('\n');
  }
}
