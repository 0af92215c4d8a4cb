/**
 * The guest's link: the endpoint verticle that owns the qemu UNIX stream socket (or a socket
 * passed with {@code --fd}), its length-prefixed framing, dispatch of classified frames to the
 * handlers by their selectors, the way back to the guest (written in order, flushed once per
 * batch), and the pcap writer. The endpoint knows no protocol.
 */
package io.passt4j.tap;
