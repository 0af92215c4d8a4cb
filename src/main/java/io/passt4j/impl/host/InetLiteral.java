package io.passt4j.impl.host;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Strict address literals, as inet_pton(3) reads them: never a name lookup, no brackets, no
 * scope, and the predicates passt's option checks use ({@code IN6_IS_ADDR_V4MAPPED} and so on).
 */
public final class InetLiteral {

  private InetLiteral() {}

  /** Dotted-quad IPv4 as inet_pton(AF_INET): four decimal parts 0..255, no leading zeros. */
  public static Inet4Address parse4(String s) {
    if (s == null) return null;
    String[] p = s.split("\\.", -1);
    if (p.length != 4) return null;
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      String x = p[i];
      if (x.isEmpty() || x.length() > 3 || (x.length() > 1 && x.charAt(0) == '0')) return null;
      for (int j = 0; j < x.length(); j++) if (x.charAt(j) < '0' || x.charAt(j) > '9') return null;
      int v = Integer.parseInt(x);
      if (v > 255) return null;
      b[i] = (byte) v;
    }
    return (Inet4Address) byBytes(b);
  }

  /** IPv6 as inet_pton(AF_INET6), including a trailing dotted quad; null when invalid. */
  public static Inet6Address parse6(String s) {
    if (s == null || s.indexOf(':') < 0 || !s.matches("[0-9A-Fa-f:.]+")) return null;
    int colons = 0;
    for (int i = 0; i < s.length(); i++) if (s.charAt(i) == ':') colons++;
    if (colons > 7 && !(colons == 8 && (s.startsWith("::") || s.endsWith("::")))) return null;
    InetAddress a;
    try {
      a = InetAddress.getByName(s); // a literal with ':' never goes to a resolver
    } catch (UnknownHostException | RuntimeException e) {
      return null;
    }
    byte[] b = a.getAddress();
    if (b.length == 4) { // Java folds ::ffff:a.b.c.d to IPv4: keep it IPv6
      byte[] m = new byte[16];
      m[10] = (byte) 0xff;
      m[11] = (byte) 0xff;
      System.arraycopy(b, 0, m, 12, 4);
      b = m;
    }
    return (Inet6Address) byBytes(b);
  }

  /** IPv4 or IPv6 literal, or null. */
  public static InetAddress parse(String s) {
    InetAddress a = parse4(s);
    return a != null ? a : parse6(s);
  }

  /** An address from its 4 or 16 bytes, without scope. */
  public static InetAddress byBytes(byte[] b) {
    try {
      if (b.length == 16) return Inet6Address.getByAddress(null, b, null);
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** The textual form passt prints (inet_ntop): compressed IPv6, no scope. */
  public static String format(InetAddress a) {
    if (a == null) return "";
    if (a instanceof Inet4Address) return a.getHostAddress();
    byte[] b = a.getAddress();
    int[] w = new int[8];
    for (int i = 0; i < 8; i++) w[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    // longest run of zero words, length >= 2, first one wins (RFC 5952)
    int best = -1, bestLen = 0;
    for (int i = 0; i < 8; ) {
      if (w[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && w[j] == 0) j++;
      if (j - i > bestLen && j - i >= 2) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    boolean v4tail = best == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff));
    StringBuilder sb = new StringBuilder();
    int end = v4tail ? 6 : 8;
    for (int i = 0; i < end; i++) {
      if (i == best) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
      sb.append(Integer.toHexString(w[i]));
    }
    if (v4tail) {
      if (sb.charAt(sb.length() - 1) != ':') sb.append(':');
      sb.append(b[12] & 0xff).append('.').append(b[13] & 0xff).append('.')
          .append(b[14] & 0xff).append('.').append(b[15] & 0xff);
    }
    return sb.toString();
  }

  public static boolean isUnspecified(InetAddress a) {
    return a.isAnyLocalAddress();
  }

  public static boolean isLoopback(InetAddress a) {
    return a.isLoopbackAddress();
  }

  public static boolean isBroadcast4(InetAddress a) {
    byte[] b = a.getAddress();
    return b.length == 4 && (b[0] & b[1] & b[2] & b[3]) == (byte) 0xff;
  }

  public static boolean isMulticast(InetAddress a) {
    return a.isMulticastAddress();
  }

  /** {@code ::ffff:a.b.c.d}. */
  public static boolean isV4Mapped(InetAddress a) {
    byte[] b = a.getAddress();
    if (b.length != 16) return false;
    for (int i = 0; i < 10; i++) if (b[i] != 0) return false;
    return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
  }

  /** {@code ::a.b.c.d} with a.b.c.d above 0.0.0.1, as IN6_IS_ADDR_V4COMPAT. */
  public static boolean isV4Compat(InetAddress a) {
    byte[] b = a.getAddress();
    if (b.length != 16) return false;
    for (int i = 0; i < 12; i++) if (b[i] != 0) return false;
    long tail = ((b[12] & 0xffL) << 24) | ((b[13] & 0xff) << 16) | ((b[14] & 0xff) << 8) | (b[15] & 0xff);
    return tail > 1;
  }

  /** fe80::/10. */
  public static boolean isLinkLocal6(InetAddress a) {
    return a instanceof Inet6Address && a.isLinkLocalAddress();
  }
}
