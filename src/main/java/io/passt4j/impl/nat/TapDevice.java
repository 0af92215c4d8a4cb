package io.passt4j.impl.nat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Creates a tap device: {@code open("/dev/net/tun")} and {@code ioctl(TUNSETIFF)} with {@code
 * IFF_TAP | IFF_NO_PI}. The device lands in the network namespace of the calling thread
 * (DESIGN.md §3.3): call it on the namespace thread.
 */
public final class TapDevice {

  /** {@code _IOW('T', 202, int)}. */
  private static final long TUNSETIFF = 0x400454caL;
  private static final short IFF_TAP = 0x0002;
  private static final short IFF_NO_PI = 0x1000;
  /** {@code sizeof(struct ifreq)}; the name takes the first IFNAMSIZ bytes, the flags follow. */
  private static final int IFREQ_SIZE = 40;
  private static final int IFNAMSIZ = 16;
  private static final String TUN = "/dev/net/tun";

  /** The open device: its descriptor, the name the kernel gave it, and its MAC address. */
  public record Opened(int fd, String name, byte[] mac) {}

  /** {@code SIOCGIFHWADDR}: the device's hardware address, in the ifreq after the name. */
  private static final long SIOCGIFHWADDR = 0x8927L;

  private TapDevice() {}

  /**
   * Opens {@code name} (or "tap%d" when null) in blocking mode, close-on-exec.
   *
   * @throws IOException saying what failed and why, with the device path
   */
  public static Opened open(String name) throws IOException {
    LibC c = LibC.INSTANCE;
    int fd = c.open(TUN, LibC.O_RDWR | LibC.O_CLOEXEC);
    if (fd < 0) {
      int e = LibC.errno();
      throw new IOException("Failed to open " + TUN + ": " + c.strerror(e)
          + (e == LibC.EACCES ? " (pasta needs read and write access to the tun device)" : ""));
    }
    Pointer ifr = Memory.allocateDirect(jnr.ffi.Runtime.getRuntime(c), IFREQ_SIZE, true);
    byte[] n = (name == null ? "" : name).getBytes(StandardCharsets.US_ASCII);
    ifr.put(0, n, 0, Math.min(n.length, IFNAMSIZ - 1));
    ifr.putShort(IFNAMSIZ, (short) (IFF_TAP | IFF_NO_PI));
    if (c.ioctl(fd, TUNSETIFF, ifr) < 0) {
      String err = LibC.lastError();
      c.close(fd);
      throw new IOException("Failed to create tap device " + (name == null ? "" : name) + ": "
          + err);
    }
    byte[] out = new byte[IFNAMSIZ];
    ifr.get(0, out, 0, IFNAMSIZ);
    int len = 0;
    while (len < IFNAMSIZ && out[len] != 0) len++;
    // the random address the kernel gave the device (struct sockaddr: family, then the bytes)
    byte[] mac = null;
    if (c.ioctl(fd, SIOCGIFHWADDR, ifr) == 0) {
      mac = new byte[6];
      ifr.get(IFNAMSIZ + 2, mac, 0, 6);
    }
    return new Opened(fd, new String(out, 0, len, StandardCharsets.US_ASCII), mac);
  }
}
