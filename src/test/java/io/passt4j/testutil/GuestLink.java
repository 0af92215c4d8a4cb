package io.passt4j.testutil;

import java.util.concurrent.BlockingQueue;

/**
 * Where a test's guest sends its frames and finds the ones for it: a handler's event-bus address
 * ({@link HandlerHarness}) or one TCP port's share of the real qemu stream ({@link StreamGuest}).
 * {@link GuestTcp} runs over either.
 */
public interface GuestLink {

  /** Sends one Ethernet frame from the guest. */
  void fromGuest(byte[] frame);

  /** Frames for this guest, in arrival order. */
  BlockingQueue<byte[]> toGuest();
}
