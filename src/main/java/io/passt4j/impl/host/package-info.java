/**
 * What passt reads from the host at start-up: template interfaces, addresses, routes, MAC,
 * resolvers and search list.
 *
 * <p>Theory of operation: {@link io.passt4j.impl.host.HostDetector} follows passt's conf.c of
 * 2023-03-09 step by step (conf_ip4, conf_ip6, get_dns), but reads /proc/net/route,
 * /proc/net/ipv6_route and /proc/net/if_inet6 plus java.net.NetworkInterface instead of netlink
 * dumps: the same facts, no native code, and every source injectable so tests run on fake files.
 * Values already in the configuration count as given on the command line and are kept. {@link
 * io.passt4j.impl.host.InetLiteral} parses address literals strictly, as inet_pton does, never
 * through a resolver. Nothing here knows the CLI: the CLI adapts these results to its messages.
 */
package io.passt4j.impl.host;
