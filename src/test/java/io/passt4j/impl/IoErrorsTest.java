package io.passt4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reasons of real failed file operations, as strerror(3) words them, never the path. */
class IoErrorsTest {

  @TempDir Path dir;

  @Test
  void missingDirectory() {
    Path p = dir.resolve("no/such/x.pcap");
    IOException e = catchThrowableOfType(() -> FileChannel.open(p, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE), IOException.class);
    assertThat(e.getMessage()).as("the JDK's message is the path").contains(p.toString());
    assertThat(IoErrors.reason(e)).isEqualTo("No such file or directory");
  }

  @Test
  void existingFile() throws IOException {
    Path p = Files.createFile(dir.resolve("pid"));
    IOException e = catchThrowableOfType(() -> Files.createFile(p), IOException.class);
    assertThat(IoErrors.reason(e)).isEqualTo("File exists");
  }

  @Test
  void aDirectoryOpenedForWriting() {
    IOException e = catchThrowableOfType(() -> FileChannel.open(dir, StandardOpenOption.WRITE),
        IOException.class);
    assertThat(IoErrors.reason(e)).isEqualTo("Is a directory");
  }

  @Test
  void otherExceptionsKeepTheirMessage() {
    assertThat(IoErrors.reason(new IOException("Broken pipe"))).isEqualTo("Broken pipe");
    assertThat(IoErrors.reason(new IOException())).isEqualTo("IOException");
  }
}
