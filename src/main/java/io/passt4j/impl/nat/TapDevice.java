package io.passt4j.impl.nat;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Creates a tap device: {@code open("/dev/net/tun")} and {@code ioctl(TUNSETIFF)} with {@code
 * IFF_TAP | IFF_NO_PI}, and, for checksum offload, {@code IFF_VNET_HDR} with {@code
 * TUNSETOFFLOAD(TUN_F_CSUM)}: every frame read or written then starts with a 10-byte {@code
 * struct virtio_net_hdr}, through which the namespace's kernel hands us TCP and UDP packets with
 * their checksums left for the device to compute, and takes ours the same way (see {@code
 * io.passt4j.tap.VnetHeader}). No segmentation offload (TSO, UFO): frames stay within the MTU.
 * The device lands in the network namespace of the calling thread (DESIGN.md §3.3): call it on
 * the namespace thread.
 */
public final class TapDevice {

  /** {@code _IOW('T', 202, int)}. */
  private static final long TUNSETIFF = 0x400454caL;
  /** {@code _IOR('T', 210, unsigned int)}: the device's name and flags, into a {@code struct ifreq}. */
  private static final long TUNGETIFF = 0x800454d2L;
  /** {@code _IOW('T', 208, unsigned int)}: the offloads the reader of the device handles. */
  private static final long TUNSETOFFLOAD = 0x400454d0L;
  private static final short IFF_TAP = 0x0002;
  private static final short IFF_NO_PI = 0x1000;
  /** {@code IFF_VNET_HDR}: frames carry a {@code struct virtio_net_hdr}. */
  public static final short IFF_VNET_HDR = 0x4000;
  /** {@code TUN_F_CSUM}: we take (and send) packets with a partial checksum. */
  private static final int TUN_F_CSUM = 0x01;
  /** {@code sizeof(struct ifreq)}; the name takes the first IFNAMSIZ bytes, the flags follow. */
  private static final int IFREQ_SIZE = 40;
  private static final int IFNAMSIZ = 16;
  private static final String TUN = "/dev/net/tun";
  /**
   * System property: {@code false} opens the tap without the virtio-net header (no checksum
   * offload; each side computes and verifies every checksum), to compare.
   */
  public static final String OFFLOAD_PROPERTY = "passt4j.tap.offload";

  /**
   * The open device: its descriptor, the name the kernel gave it, its MAC address, and whether
   * frames carry the virtio-net header with checksum offload on.
   */
  public record Opened(int fd, String name, byte[] mac, boolean offload) {}

  /** {@code SIOCGIFHWADDR}: the device's hardware address, in the ifreq after the name. */
  private static final long SIOCGIFHWADDR = 0x8927L;

  private TapDevice() {}

  /**
   * Opens {@code name} (or "tap%d" when null) in blocking mode, close-on-exec, with checksum
   * offload unless {@link #OFFLOAD_PROPERTY} is {@code false} or this is a big-endian machine
   * (the header's fields are little-endian, as the kernel's on a little-endian one).
   *
   * @throws IOException saying what failed and why, with the device path
   */
  public static Opened open(String name) throws IOException {
    return open(name, !"false".equals(System.getProperty(OFFLOAD_PROPERTY)));
  }

  /** As {@link #open(String)}, asking for checksum offload or not. */
  public static Opened open(String name, boolean wantOffload) throws IOException {
    boolean offload = wantOffload && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
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
    ifr.putShort(IFNAMSIZ, (short) (IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0)));
    if (c.ioctl(fd, TUNSETIFF, ifr) < 0) {
      String err = LibC.lastError();
      c.close(fd);
      throw new IOException("Failed to create tap device " + (name == null ? "" : name) + ": "
          + err);
    }
    if (offload && c.ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM) < 0) {
      // the header stays (it can't be turned off now); the kernel then sums every packet itself
      offload = false;
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
    return new Opened(fd, new String(out, 0, len, StandardCharsets.US_ASCII), mac, offload);
  }

  /**
   * The flags of the tap device open on {@code fd} ({@code TUNGETIFF}), such as {@link
   * #IFF_VNET_HDR}.
   *
   * @throws IOException if {@code fd} is not an attached tun or tap device
   */
  public static int flags(int fd) throws IOException {
    LibC c = LibC.INSTANCE;
    Pointer ifr = Memory.allocateDirect(jnr.ffi.Runtime.getRuntime(c), IFREQ_SIZE, true);
    if (c.ioctl(fd, TUNGETIFF, ifr) < 0) {
      throw new IOException("descriptor " + fd + " is not a tap device (TUNGETIFF): "
          + LibC.lastError());
    }
    return ifr.getShort(IFNAMSIZ) & 0xffff;
  }
}
