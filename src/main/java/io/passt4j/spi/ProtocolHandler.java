package io.passt4j.spi;

import io.passt4j.packet.Frame;
import io.vertx.core.Future;

/**
 * A protocol handler: runs inside its own verticle, on that verticle's event loop.
 *
 * <p>Threading: every method is called on the handler's event-loop thread, never concurrently;
 * host sockets from {@link HandlerContext#sockets()} deliver their events on the same thread, as
 * do timers set with the context's {@code vertx()}. Nothing here may block.
 *
 * <p>Frame ownership: {@link #handleFrame(Frame)} hands the frame over; the handler must release
 * it ({@link Frame#release()}) once done, or pass it on to something that will.
 */
public interface ProtocolHandler {

  /** Called once before any frame arrives. */
  Future<Void> start(HandlerContext context);

  /**
   * A guest frame matching one of the plugin's selectors, already classified ({@link
   * Frame#l4Offset()} and friends are set). Guest input is hostile: validate every header view
   * before use and drop (with {@link HandlerContext#drop(String)}) what does not parse; never
   * throw.
   */
  void handleFrame(Frame frame);

  /**
   * Whether {@link #handleFrame} takes frames whose transport checksum it must not verify
   * ({@link Frame#checksumTrusted()}: in pasta, TCP and UDP packets the namespace's kernel made,
   * whose checksum field may hold a partial sum). With false (the default) the endpoint
   * completes such a checksum before handing the frame on, so that a handler that verifies every
   * checksum sees it verify.
   */
  default boolean takesTrustedChecksums() {
    return false;
  }

  /** Called once at shutdown: close host sockets, cancel timers. */
  default Future<Void> stop() {
    return Future.succeededFuture();
  }
}
