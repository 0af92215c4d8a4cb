package io.passt4j.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * TCP through passt4j with a real guest ({@code scripts/vm/tcp-demo.sh}, guest script {@code
 * guest-tcp.sh}): 64 MiB downloads from an HTTP server on the sandbox host's loopback and
 * uploads to it through the gateway address, sha256 compared, both families; a refused port;
 * a half-close (the guest shuts down writing, the server still sends 4 MiB) and a server's reset
 * in the middle of a transfer, both families; 200 connections at once; iperf3 both ways; {@code -t} forwards into guest servers from
 * loopback and non-loopback clients, with the source address the guest saw, 64 MiB through each
 * family, and iperf3 host to guest. Under TCG one run takes about three to four minutes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PasstTcpVmIT {

  VmRun run;

  @BeforeAll
  void boot() throws Exception {
    run = VmRun.run("scripts/vm/tcp-demo.sh", Map.of(), 480);
    System.out.printf("TCP VM run with passt4j: %.1f s, exit %d%n", run.millis / 1000.0,
        run.exitCode);
    for (String k : List.of("download4", "download6", "upload4", "upload6", "halfclose4",
        "halfclose6", "reset4", "reset6", "conns", "iperf_up",
        "iperf_down", "fwd_bulk4", "fwd_bulk6", "iperf_fwd")) {
      System.out.printf("  %s: %s%n", k, run.result(k));
    }
  }

  void passes(String... checks) {
    for (String c : checks) {
      assertThat(run.check(c)).as("check %s; output:%n%s", c, run.output).startsWith("PASS");
    }
  }

  @Test
  void downloadsOf64MiBThroughTheGatewayArriveIntact() {
    passes("download4", "download6");
    assertThat(run.result("download4")).startsWith("bytes=67108864 ");
  }

  @Test
  void uploadsOf64MiBThroughTheGatewayArriveIntact() {
    passes("upload4_sent", "upload6_sent", "upload4", "upload6");
    assertThat(run.check("upload4")).contains("bytes=67108864 ");
  }

  @Test
  void aRefusedPortFailsFastInTheGuest() {
    passes("refused4", "refused6");
  }

  @Test
  void afterTheGuestsHalfCloseTheServersRestArrivesIntact() {
    // the server got the guest's request whole (it answers with its sha256), then its 4 MiB
    passes("halfclose4", "halfclose6");
    assertThat(run.result("halfclose4")).startsWith("bytes=" + (65 + (4 << 20)) + " ");
  }

  @Test
  void aServerResetInTheMiddleOfATransferReachesTheGuestAsAReset() {
    // socat warns "Connection reset by peer": a reset, not an end of file, and not a hang
    passes("reset4", "reset6");
  }

  @Test
  void twoHundredConnectionsAtOnceEachMoveTheirData() {
    passes("conns");
  }

  @Test
  void iperf3BothWays() {
    passes("iperf_up", "iperf_down", "iperf_fwd");
  }

  @Test
  void tcpForwardsFromLoopbackAppearFromTheGateway() {
    passes("fwd_lo4", "fwd_lo6", "fwd_done");
    assertThat(run.resultsOf("fwd_seen_lo4")).containsExactly("198.51.100.1");
    assertThat(run.resultsOf("fwd_seen_lo6")).containsExactly("2001:db8::1");
  }

  @Test
  void tcpForwardsFromOtherAddressesKeepTheirSource() {
    passes("fwd_other4", "fwd_other6");
    assertThat(run.resultsOf("fwd_seen_other4")).containsExactly("203.0.113.5");
    assertThat(run.resultsOf("fwd_seen_other6")).containsExactly("2001:db8:5::5");
  }

  @Test
  void tcpForwardFromTheHostsOwnAddressAppearsFromTheGateway() {
    // The host's own address is also the guest's: as in passt, it is shown as the gateway.
    passes("fwd_own4");
    assertThat(run.resultsOf("fwd_seen_own4")).containsExactly("198.51.100.1");
  }

  @Test
  void sixtyFourMiBThroughTcpForwardsArriveIntact() {
    passes("fwd_bulk4", "fwd_bulk6");
  }

  @Test
  void noCheckFails() {
    assertThat(run.output).doesNotContain(" FAIL ");
    assertThat(run.exitCode).as(run.output).isZero();
  }
}
