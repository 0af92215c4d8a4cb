package io.passt4j.impl;

import io.passt4j.PasstConfig;
import io.passt4j.packet.Addresses;
import io.passt4j.spi.GuestState;
import java.net.Inet4Address;
import java.net.Inet6Address;

/** The shared {@link GuestState} of one instance; fields are volatile, writes are cheap. */
public final class GuestStateImpl implements GuestState {

  private static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};

  private volatile byte[] mac = BROADCAST;
  private volatile boolean macKnown;
  private volatile Inet4Address addr4;
  private volatile Inet6Address addr6;
  private volatile Inet6Address addr6LinkLocal;

  public GuestStateImpl(PasstConfig config) {
    addr4 = config.addr4;
    addr6 = config.addr6;
    if (config.guestMac != null && config.guestMac.length == 6) {
      mac = config.guestMac.clone();
      macKnown = true;
    }
  }

  @Override
  public byte[] mac() {
    return mac.clone();
  }

  /** The MAC array itself, not to be modified: for the per-frame path. */
  public byte[] macNoCopy() {
    return mac;
  }

  @Override
  public boolean macKnown() {
    return macKnown;
  }

  /** Learns the guest's MAC from a frame's source address bytes. */
  public void learnMac(io.netty.buffer.ByteBuf buf, int off) {
    byte[] m = mac;
    for (int i = 0; i < 6; i++) {
      if (m[i] != buf.getByte(off + i)) {
        byte[] n = new byte[6];
        buf.getBytes(off, n);
        if ((n[0] & 1) != 0) return; // a group address is never a source
        mac = n;
        macKnown = true;
        return;
      }
    }
    macKnown = true;
  }

  @Override
  public Inet4Address addr4() {
    return addr4;
  }

  @Override
  public Inet6Address addr6() {
    return addr6;
  }

  @Override
  public Inet6Address addr6LinkLocal() {
    return addr6LinkLocal;
  }

  @Override
  public void sawAddr4(Inet4Address a) {
    if (!a.isAnyLocalAddress() && !a.equals(addr4)) addr4 = a;
  }

  @Override
  public void sawAddr6(Inet6Address a) {
    if (a.isAnyLocalAddress() || a.isMulticastAddress()) return;
    if (Addresses.isLinkLocal(a.getAddress())) {
      if (!a.equals(addr6LinkLocal)) addr6LinkLocal = a;
    } else if (!a.equals(addr6)) {
      addr6 = a;
    }
  }
}
