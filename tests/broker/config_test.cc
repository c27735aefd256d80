#include "broker/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

namespace corelog::broker {
namespace {

Result<CommandLine> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "corelogd");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

Config ParseOk(std::vector<const char*> args) {
  auto r = Parse(std::move(args));
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  return std::get<Config>(*r);
}

TEST(Config, DefaultsMatchTheDocumentedOnes) {
  Config c = ParseOk({});
  EXPECT_EQ(c.listen.ToString(), "127.0.0.1:9092");
  EXPECT_EQ(c.metrics_listen.ToString(), "127.0.0.1:9644");
  EXPECT_EQ(c.num_partitions, 1);
  EXPECT_EQ(c.checkpoint_interval_ms, 1000);
  EXPECT_GE(c.cores, 1u);
  EXPECT_TRUE(c.auto_create_topics);
  EXPECT_TRUE(c.wal_direct_io);
  EXPECT_EQ(c.socket_request_max_bytes, 100 << 20);
}

TEST(Config, FlagsSetTheirKeys) {
  Config c = ParseOk({"--listen", "127.0.0.1:0", "--advertised-listener", "example:19092",
                      "--metrics-listen", "127.0.0.1:0", "--data-dir", "/tmp/x", "--cores", "3",
                      "--num-partitions", "4", "--checkpoint-interval-ms", "250",
                      "--wal-segment-bytes", "1048576"});
  EXPECT_EQ(c.listen.port, 0);
  EXPECT_EQ(c.advertised_listener.host, "example");
  EXPECT_EQ(c.advertised_listener.port, 19092);
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_EQ(c.cores, 3u);
  EXPECT_EQ(c.num_partitions, 4);
  EXPECT_EQ(c.checkpoint_interval_ms, 250);
  EXPECT_EQ(c.wal_segment_bytes, 1048576u);
}

TEST(Config, FileIsReadAndFlagsOverrideIt) {
  auto path = std::filesystem::temp_directory_path() / "corelog_config_test.properties";
  {
    std::ofstream out(path);
    out << "# comment\n\nnum.partitions = 7\nlisteners=PLAINTEXT://127.0.0.1:9999\n"
           "auto.create.topics.enable=false\n";
  }
  Config c = ParseOk({"--config", path.c_str(), "--num-partitions", "2"});
  EXPECT_EQ(c.num_partitions, 2);
  EXPECT_EQ(c.listen.port, 9999);
  EXPECT_FALSE(c.auto_create_topics);
  std::filesystem::remove(path);
}

TEST(Config, OverrideSetsAnyKey) {
  Config c = ParseOk({"--override", "message.max.bytes=1000", "-o", "broker.id=5", "-o",
                      "wal.direct.io=false", "-o", "wal.tail.cache.bytes=0", "-o",
                      "wal.spare.segments=5"});
  EXPECT_EQ(c.message_max_bytes, 1000);
  EXPECT_EQ(c.node_id, 5);
  EXPECT_FALSE(c.wal_direct_io);
  EXPECT_EQ(c.wal_tail_cache_bytes, 0u);
  EXPECT_EQ(c.wal_spare_segments, 5u);
}

TEST(Config, BadInputIsAnErrorNamingWhatIsWrong) {
  struct Case {
    std::vector<const char*> args;
    std::string needle;
  };
  std::vector<Case> cases = {
      {{"--cores", "zero"}, "--cores"},
      {{"--cores", "0"}, "out of range"},
      {{"--listen", "nohost"}, "HOST:PORT"},
      {{"--listen", "127.0.0.1:70000"}, "out of range"},
      {{"--no-such-flag"}, "no-such-flag"},
      {{"--override", "no.such.key=1"}, "no.such.key"},
      {{"--override", "novalue"}, "key=value"},
      {{"--config", "/nonexistent/corelog.properties"}, "/nonexistent"},
      {{"-o", "wal.recovery.policy=yolo"}, "yolo"},
      {{"-o", "wal.direct.io=maybe"}, "wal.direct.io"},
      {{"-o", "wal.tail.cache.bytes=-1"}, "wal.tail.cache.bytes"},
      {{"-o", "wal.spare.segments=-2"}, "wal.spare.segments"},
  };
  for (const auto& c : cases) {
    auto r = Parse(c.args);
    ASSERT_FALSE(r) << c.args[0];
    EXPECT_NE(r.error().message().find(c.needle), std::string::npos)
        << r.error().message() << " lacks " << c.needle;
  }
}

TEST(Config, HelpIsNotAnError) {
  auto r = Parse({"--help"});
  ASSERT_TRUE(r);
  auto* help = std::get_if<HelpRequested>(&*r);
  ASSERT_NE(help, nullptr);
  EXPECT_NE(help->text.find("--listen"), std::string::npos);
  EXPECT_NE(help->text.find("--wal-segment-bytes"), std::string::npos);
}

TEST(Config, HostPortParsesIpv6AndSchemes) {
  auto v6 = ParseHostPort("[::1]:9092");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9092);
  auto scheme = ParseHostPort("PLAINTEXT://localhost:1");
  ASSERT_TRUE(scheme);
  EXPECT_EQ(scheme->host, "localhost");
}

}  // namespace
}  // namespace corelog::broker
