package io.passt4j.spi;

import io.netty.buffer.ByteBuf;
import io.passt4j.PasstConfig;
import io.passt4j.packet.Frame;
import io.passt4j.packet.IcmpErrors;
import io.vertx.core.Vertx;

/**
 * What a {@link ProtocolHandler} gets from passt4j: the configuration, the way back to the guest,
 * host sockets, counters and logging. Everything a plugin needs goes through here; there are no
 * statics to reach for. Methods are called on the handler's event loop.
 */
public interface HandlerContext {

  /** The plugin's name. */
  String name();

  /** The Vert.x instance, for timers ({@code setTimer}, {@code setPeriodic}). */
  Vertx vertx();

  /** The resolved configuration (read only by convention). */
  PasstConfig config();

  /** What passt4j learned about the guest: its MAC address and the addresses it uses. */
  GuestState guest();

  /**
   * A buffer for a frame to the guest, of at least {@code capacity} bytes, from the pooled direct
   * allocator. Write the whole frame (Ethernet header first) between reader and writer index.
   */
  ByteBuf allocate(int capacity);

  /**
   * Sends a complete Ethernet frame to the guest. Ownership passes with the call: do not touch or
   * release the buffer afterwards. Frames are written in the order they are sent.
   */
  void sendToGuest(ByteBuf frame);

  /**
   * Sends a frame whose transport checksum is left partial, as a virtio-net guest sends one
   * (virtio's {@code VIRTIO_NET_HDR_F_NEEDS_CSUM}): the 16-bit field at absolute index {@code
   * csumStart + csumOffset} holds the folded pseudo-header sum ({@link
   * io.passt4j.packet.Checksum#partial}), and the Internet checksum over the bytes from {@code
   * csumStart} to the end of the frame is still to be computed (for TCP: start the TCP header,
   * offset {@link io.passt4j.packet.Tcp#CSUM}; UDP: {@link io.passt4j.packet.Udp#CSUM}). The
   * endpoint computes it where the link needs it (passt's socket, a capture file); over pasta's
   * tap it leaves it to the namespace's kernel, which needs it only if the packet leaves the
   * namespace, as for a virtio guest's packets: saves summing every payload. Ownership passes as
   * with {@link #sendToGuest}. Never mark a frame whose checksum is complete: it would be summed
   * again over itself. This default completes the checksum and sends the frame.
   */
  default void sendToGuestPartialChecksum(ByteBuf frame, int csumStart, int csumOffset) {
    io.passt4j.packet.Checksum.complete(frame, csumStart, csumOffset, frame.writerIndex());
    sendToGuest(frame);
  }

  /**
   * Answers a guest frame with an ICMP or ICMPv6 error ({@link IcmpErrors}): from the address
   * the frame was sent to, quoting as much of it as RFC 792/1812 and RFC 4443 allow. Nothing is
   * sent about ICMP errors, fragments, multicast or broadcast, and errors are rate limited (RFC
   * 4443 §2.4 (f)): {@value #ICMP_ERRORS_PER_SECOND} per second per handler. The frame is only
   * read: the caller still owns it and releases it as usual.
   *
   * @return whether an error was sent
   */
  boolean sendIcmpError(Frame offending, IcmpErrors.Kind kind);

  /** ICMP errors a handler may send per second ({@link #sendIcmpError}). */
  int ICMP_ERRORS_PER_SECOND = 100;

  /**
   * Reports a flow the handler opened, to embedding hosts ({@link
   * io.passt4j.Passt4jEvents#flowAddress(String)}). Call it when host state (a socket) is
   * created for the guest, not per frame.
   */
  void flowOpened(FlowEvent flow);

  /** Reports a flow the handler closed; {@link FlowEvent#reason()} says why. */
  void flowClosed(FlowEvent flow);

  /** Host sockets, registered on this handler's event loop. */
  HostSockets sockets();

  /** Counts a dropped guest frame under {@code reason} and logs it at trace level. */
  void drop(String reason);

  /** Counts a host-side event (for instance a datagram that found no flow) under {@code name}. */
  void count(String name);

  /** This handler's log, its lines prefixed with the handler's name in upper case. */
  Log log();

  /**
   * pasta's automatic forwarding ({@code -t auto}, {@code -u auto}, pasta's default): {@code
   * ports} gets the set of ports to forward into the guest for {@code protocol} ({@code "tcp"}
   * or {@code "udp"}), on this handler's event loop, now and each time the set changes (the
   * namespace's listening sockets are scanned every second). Each port goes to the same port
   * in the guest. Never called outside pasta.
   *
   * <p>The default implementation (test doubles) never calls it.
   */
  default void autoForwarded(String protocol, java.util.function.Consumer<java.util.BitSet> ports) {}
}
