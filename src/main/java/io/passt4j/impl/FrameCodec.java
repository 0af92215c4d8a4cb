package io.passt4j.impl;

import io.passt4j.packet.Frame;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * The event-bus codec for {@link Frame}: local only, passes the same object through ({@link
 * #transform} returns its argument), so frames are never copied.
 */
public final class FrameCodec implements MessageCodec<Frame, Frame> {

  public static final FrameCodec INSTANCE = new FrameCodec();
  public static final String NAME = "passt4j-frame";

  private FrameCodec() {}

  @Override
  public void encodeToWire(Buffer buffer, Frame frame) {
    throw new UnsupportedOperationException("frames are local only");
  }

  @Override
  public Frame decodeFromWire(int pos, Buffer buffer) {
    throw new UnsupportedOperationException("frames are local only");
  }

  @Override
  public Frame transform(Frame frame) {
    return frame;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
