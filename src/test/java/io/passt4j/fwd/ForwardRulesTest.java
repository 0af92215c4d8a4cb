package io.passt4j.fwd;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.PasstConfig;
import io.passt4j.spi.DescriptorLimitException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link ForwardRules#bindAll}: which failures fail the start, in passt's words. */
class ForwardRulesTest {

  /** A binder that refuses the ports in {@code refused} ("in use") and records the others. */
  static final class FakeBinder implements ForwardRules.PortBinder {
    final Set<Integer> refused;
    final List<Integer> bound = new ArrayList<>();
    int limitAt = -1;

    FakeBinder(Set<Integer> refused) {
      this.refused = refused;
    }

    @Override
    public String bind(PortForward port) throws DescriptorLimitException {
      if (port.port() == limitAt) throw new DescriptorLimitException("out of descriptors", null);
      if (refused.contains(port.port())) return "Address in use";
      bound.add(port.port());
      return null;
    }
  }

  static ForwardRules spec(String... specs) {
    return PortSpec.parse('t', PasstConfig.Mode.PASST, specs);
  }

  @Test
  void aPortOfAListThatCantBeBoundIsSkipped() {
    FakeBinder b = new FakeBinder(Set.of(22));
    ForwardRules.Bound r = spec("22,80-81").bindAll("-t", b);
    assertThat(r.error()).isNull();
    assertThat(r.bound()).isEqualTo(2);
    assertThat(r.skipped()).isEqualTo(1);
    assertThat(b.bound).containsExactly(80, 81);
  }

  @Test
  void noPortBoundFailsTheStartWithThePortsAsRanges() {
    ForwardRules.Bound r = spec("22", "80-81:90-91").bindAll("-t", new FakeBinder(Set.of(22, 80, 81)));
    assertThat(r.error()).isEqualTo("Failed to bind any port for '-t 22,80-81': Address in use");
    assertThat(r.bound()).isZero();
  }

  @Test
  void allFailsOnlyWhenNothingCouldBeBound() {
    ForwardRules all = new ForwardRules(ForwardRules.Mode.ALL,
        List.of(new PortForward(null, null, 1, 1), new PortForward(null, null, 2, 2)));
    assertThat(all.bindAll("-t", new FakeBinder(Set.of(1))).error()).isNull();
    assertThat(all.bindAll("-t", new FakeBinder(Set.of(1, 2))).error())
        .isEqualTo("Failed to bind any port for '-t all': Address in use");
  }

  @Test
  void runningOutOfDescriptorsFailsAtOnce() {
    FakeBinder b = new FakeBinder(Set.of());
    b.limitAt = 81;
    ForwardRules.Bound r = spec("80-82").bindAll("-t", b);
    assertThat(r.error()).isEqualTo("Can't open enough sockets for port specifier: 81");
    assertThat(b.bound).containsExactly(80);
  }

  @Test
  void rangesJoinConsecutivePorts() {
    assertThat(ForwardRules.ranges(spec("1,3-5,7,8").ports())).isEqualTo("1,3-5,7-8");
    assertThat(ForwardRules.ranges(List.of())).isEmpty();
  }
}
