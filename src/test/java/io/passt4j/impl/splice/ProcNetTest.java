package io.passt4j.impl.splice;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

/** The /proc/net tables as pasta's automatic forwarding reads them: samples, junk, and this host's own. */
class ProcNetTest {

  private static final String TCP = """
        sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
         0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0 100 0 0 10 0
         1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
         2: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 3 1 0 20 4 30 10 -1
         3: 0100007F:0050 00000000:0000 06 00000000:00000000 03:00000000 00000000     0        0 0 3 0
      garbage line
         4: 0100007F:FFFFF 00000000:0000 0A
         5: 0100007F 00000000:0000 0A
         6: 0100007F:0000 00000000:0000 0A
         7: 0100007F:ZZZZ 00000000:0000 0A
         8:
      """;

  private static final String UDP6 = """
        sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
        1: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0 0
        2: 00000000000000000000000001000000:1F91 00000000000000000000000001000000:0035 01 00000000:00000000 00:00000000 00000000     0        0 2 2 0 0
        3: 00000000000000000000000000000000:14E9 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3 2 0 0
      """;

  @Test
  void tcpListeningOnlyAndJunkSkipped() throws Exception {
    BitSet b = new BitSet();
    ProcNet.parse(new StringReader(TCP), ProcNet.TCP_LISTEN, false, b);
    assertThat(b.stream().toArray()).containsExactly(22, 8080);
  }

  @Test
  void udpUnconnectedOnly() throws Exception {
    BitSet b = new BitSet();
    ProcNet.parse(new StringReader(UDP6), ProcNet.UDP_UNCONNECTED, true, b);
    assertThat(b.stream().toArray()).containsExactly(53, 5353);
  }

  @Test
  void emptyAndHeaderOnly() throws Exception {
    BitSet b = new BitSet();
    ProcNet.parse(new StringReader(""), ProcNet.TCP_LISTEN, false, b);
    ProcNet.parse(new StringReader("  sl  local_address\n"), ProcNet.TCP_LISTEN, false, b);
    assertThat(b.isEmpty()).isTrue();
  }

  /** The real tables of this thread's namespace: our listener and unconnected UDP socket are there, a connection is not. */
  @Test
  void thisNamespace() throws Exception {
    InetAddress lo = InetAddress.getLoopbackAddress();
    try (ServerSocket l = new ServerSocket(0, 1, lo);
        DatagramSocket u = new DatagramSocket(new InetSocketAddress(lo, 0));
        DatagramSocket connected = new DatagramSocket(new InetSocketAddress(lo, 0));
        Socket c = new Socket(lo, l.getLocalPort());
        Socket s = l.accept()) {
      connected.connect(new InetSocketAddress(lo, u.getLocalPort()));
      ProcNet.Listening got = ProcNet.scanThisThread();
      assertThat(got.tcp().get(l.getLocalPort())).isTrue();
      assertThat(got.tcp().get(c.getLocalPort())).as("a connection is not listening").isFalse();
      assertThat(got.udp().get(u.getLocalPort())).isTrue();
      assertThat(got.udp().get(connected.getLocalPort())).as("connected UDP").isFalse();
    }
  }
}
