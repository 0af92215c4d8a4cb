package io.passt4j.testutil;

import io.passt4j.packet.Frame;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * Sorts the TCP frames for a guest by their destination port (and, where asked, their source
 * port) into the queues of {@link GuestLink}s, so that several {@link GuestTcp}s share one link
 * to the daemon ({@link StreamGuest}, or a {@link HandlerHarness} through its {@code onFrame}).
 */
public final class TcpDemux {

  private final Map<Integer, BlockingQueue<byte[]>> queues = new ConcurrentHashMap<>();
  private final Consumer<byte[]> send;

  /** {@code send} sends a frame from the guest. */
  public TcpDemux(Consumer<byte[]> send) {
    this.send = send;
  }

  /** The frames for TCP port {@code guestPort} of the guest, and the way to send frames. */
  public GuestLink link(int guestPort) {
    return link(queues.computeIfAbsent(guestPort, p -> new LinkedBlockingQueue<>()));
  }

  /**
   * As {@link #link(int)}, for the frames from remote port {@code remotePort} only: one
   * connection of a guest port many connections share (a forwarded port); the others' frames go
   * to the port's link, if any.
   */
  public GuestLink link(int guestPort, int remotePort) {
    return link(queues.computeIfAbsent(guestPort << 16 | remotePort,
        p -> new LinkedBlockingQueue<>()));
  }

  private GuestLink link(BlockingQueue<byte[]> q) {
    return new GuestLink() {
      @Override
      public void fromGuest(byte[] frame) {
        send.accept(frame);
      }

      @Override
      public BlockingQueue<byte[]> toGuest() {
        return q;
      }
    };
  }

  /** Queues {@code f} (classified as {@code fr}) for its link: false if it has none. */
  public boolean offer(Frame fr, byte[] f) {
    if (fr.malformed() != null || fr.ipProtocol() != 6 || fr.l4Length() < 4) return false;
    int sport = fr.buf().getUnsignedShort(fr.l4Offset());
    int dport = fr.buf().getUnsignedShort(fr.l4Offset() + 2);
    BlockingQueue<byte[]> q = queues.get(dport << 16 | sport);
    if (q == null) q = queues.get(dport);
    if (q == null) return false;
    q.add(f);
    return true;
  }
}
