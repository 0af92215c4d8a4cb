package io.passt4j.packet;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Conversions between wire forms (int, 16 bytes) and {@link InetAddress}. */
public final class Addresses {

  private Addresses() {}

  public static int toInt(Inet4Address a) {
    byte[] b = a.getAddress();
    return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
  }

  public static Inet4Address fromInt(int v) {
    byte[] b = {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    try {
      return (Inet4Address) InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** An IPv6 address without scope. */
  public static Inet6Address v6(byte[] b) {
    try {
      return Inet6Address.getByAddress(null, b, -1);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** {@code a.b.c.d} for an address held as an int. */
  public static String format4(int v) {
    return (v >>> 24) + "." + ((v >>> 16) & 0xff) + "." + ((v >>> 8) & 0xff) + "." + (v & 0xff);
  }

  /** An IPv6 address is link-local (fe80::/10). */
  public static boolean isLinkLocal(byte[] a) {
    return (a[0] & 0xff) == 0xfe && (a[1] & 0xc0) == 0x80;
  }

  /** The netmask of a prefix length, as an int. */
  public static int mask4(int prefixLen) {
    return prefixLen == 0 ? 0 : -1 << (32 - prefixLen);
  }
}
