package io.passt4j.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code HostSockets.supports}: a real socket() attempt, compared with what the kernel lists. */
class HostSocketsSupportsTest {

  @Test
  void tcpIsSupportedAndSctpExactlyWhenTheKernelListsIt() throws Exception {
    NettyHostSockets s = new NettyHostSockets(null, new Counters(), Logging.forPrefix("TEST"));
    assertThat(s.supports(6)).isTrue();
    assertThat(s.supports(17)).as("UDP is not a stream protocol").isFalse();
    assertThat(s.supports(-1)).isFalse();
    assertThat(s.supports(256)).isFalse();
    boolean kernelSctp = Files.readString(Path.of("/proc/net/protocols")).contains("\nSCTP ");
    assertThat(s.supports(132)).isEqualTo(kernelSctp);
    assertThat(s.supports(132)).as("cached").isEqualTo(kernelSctp);
  }
}
