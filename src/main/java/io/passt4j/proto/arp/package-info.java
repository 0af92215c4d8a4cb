/**
 * ARP responder: answers who-has requests from the guest with our MAC address.
 *
 * <p>Theory of operation. Everything outside the guest is reached through us, so every IPv4
 * address on the guest's link is "at" our MAC: the gateway, other hosts of the prefix (which
 * we reach through host sockets), and even the host's own address. The handler turns a request
 * into a reply in a fresh 42-byte frame (sender and target swapped, our MAC as sender hardware
 * address, the requester's MAC as target and Ethernet destination), as Debian's passt 7c7625d
 * does in {@code arp.c}.
 *
 * <p>Not answered, as in passt: anything but an Ethernet/IPv4 request; announcements (sender
 * address equal to target address, other than 0.0.0.0 probes), since answering them would tell
 * the guest its address is taken; requests for the guest's own address (the configured one, and
 * also the one {@code GuestState} saw it use, which passt does not know about), so duplicate
 * address detection succeeds. Probes from 0.0.0.0 for other addresses get a reply to 0.0.0.0.
 *
 * <p>No state, no timers, no host sockets. Each frame is released on every path.
 */
package io.passt4j.proto.arp;
