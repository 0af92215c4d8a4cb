package io.passt4j.plugins.sctp;

import io.passt4j.packet.Frame;
import io.passt4j.packet.IcmpErrors;
import io.passt4j.spi.HandlerContext;
import io.passt4j.spi.ProtocolHandler;
import io.vertx.core.Future;

/**
 * The SCTP handler: validates each guest packet and, as the host has no SCTP mapping here,
 * answers it with ICMP protocol unreachable / ICMPv6 parameter problem (see the package comment
 * for what is not built).
 */
final class SctpHandler implements ProtocolHandler {

  /** The log line, once, when the kernel has no SCTP (the log adds the "SCTP: " prefix). */
  static final String NO_KERNEL_SCTP =
      "not supported by the host kernel, answering ICMP unreachable";
  /** The log line, once, when it has SCTP but the association mapping is not built. */
  static final String NO_MAPPING =
      "host associations are not built yet (prototype), answering ICMP unreachable";

  private final Sctp sctp = new Sctp();
  private HandlerContext ctx;
  private boolean kernelHasSctp;
  private boolean said;

  @Override
  public Future<Void> start(HandlerContext context) {
    ctx = context;
    kernelHasSctp = context.sockets() != null && context.sockets().supports(132);
    return Future.succeededFuture();
  }

  @Override
  public void handleFrame(Frame f) {
    try {
      if (f.ipVersion() != 4 && f.ipVersion() != 6) {
        ctx.drop("not IP");
        return;
      }
      String bad = sctp.wrap(f.buf(), f.l4Offset(), f.l4Length()).validate();
      if (bad != null) {
        ctx.drop(bad);
        return;
      }
      if (ctx.log().isTraceEnabled()) {
        ctx.log().trace("packet to port " + sctp.destinationPort() + ", first chunk type "
            + sctp.firstChunkType());
      }
      if (!said) {
        said = true;
        if (kernelHasSctp) ctx.log().warn(NO_MAPPING);
        else ctx.log().info(NO_KERNEL_SCTP);
      }
      if (ctx.sendIcmpError(f, IcmpErrors.Kind.PROTOCOL_UNREACHABLE)) {
        ctx.count("answered protocol unreachable");
      }
    } catch (IndexOutOfBoundsException e) {
      ctx.drop("out of bounds");
    } finally {
      f.release();
    }
  }
}
