package io.passt4j.spi;

import java.io.IOException;

/**
 * A socket could not be created because the process ({@code EMFILE}) or the system ({@code
 * ENFILE}) is out of file descriptors. Thrown by {@link HostSockets} so that a handler binding
 * many ports ({@code -t all}) can stop, as passt does ("Can't open enough sockets for port
 * specifier"), where another failure (a port in use, a privileged port) only skips a port.
 */
public final class DescriptorLimitException extends IOException {

  private static final long serialVersionUID = 1L;

  public DescriptorLimitException(String message, Throwable cause) {
    super(message, cause);
  }
}
