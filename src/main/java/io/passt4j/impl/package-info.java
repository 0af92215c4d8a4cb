/**
 * Internals, not for plugins: the dispatcher, the verticle that runs each handler, host sockets
 * on native epoll, counters, logging, the plugin loader, host detection ({@code impl.host}) and
 * the native bindings ({@code impl.nat}).
 */
package io.passt4j.impl;
