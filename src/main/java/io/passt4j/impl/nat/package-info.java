/** Native calls Java lacks (ping and netlink sockets, ioctl, setns, setuid), through jnr-ffi. */
package io.passt4j.impl.nat;
