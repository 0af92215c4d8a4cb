package io.passt4j.spi;

import io.passt4j.packet.Frame;

/**
 * A base for handlers that read a frame and are done with it when they return, as services
 * (ARP, DHCP, NDP, DHCPv6) are: the frame is released after {@link #read(Frame)} whatever
 * happens, a frame the endpoint found malformed is dropped with that reason before {@link
 * #read(Frame)} sees it, and a read past its end, which the header views' {@code isValid} checks
 * should have ruled out, becomes a counted drop ("out of bounds") instead of an exception.
 */
public abstract class ReadingHandler implements ProtocolHandler {

  @Override
  public final void handleFrame(Frame frame) {
    try {
      if (frame.malformed() != null) {
        context().drop(frame.malformed());
        return;
      }
      read(frame);
    } catch (IndexOutOfBoundsException e) {
      context().drop("out of bounds");
    } finally {
      frame.release();
    }
  }

  /** Reads one guest frame; it is released when this returns, so keep no reference to it. */
  protected abstract void read(Frame frame);

  /** The context this handler was started with. */
  protected abstract HandlerContext context();
}
