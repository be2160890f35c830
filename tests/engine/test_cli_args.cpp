// The command-line parser both programs use: options with values, flags, repeats, errors.
#include <gtest/gtest.h>

#include "cli/args.h"

namespace {

cli::Args parse(const std::vector<std::string>& argv) {
  return cli::Args(argv, {"log-level", "port", "ratio", "stop"}, {"verbose"});
}

TEST(CliArgs, ValuesFlagsAndPositionals) {
  const cli::Args args = parse({"serve", "--port", "8000", "--ratio=0.5", "--verbose"});
  EXPECT_EQ(args.integer("port", 1, 0, 65535), 8000);
  EXPECT_DOUBLE_EQ(args.number("ratio", 0, 0, 1), 0.5);
  EXPECT_TRUE(args.flag("verbose"));
  EXPECT_EQ(args.str("log-level", "info"), "info");
  EXPECT_EQ(args.positional(), std::vector<std::string>{"serve"});
}

TEST(CliArgs, TheLastOfARepeatedOptionWinsAndAllKeepsEvery) {
  const cli::Args args = parse({"--log-level", "debug", "--port", "1", "--log-level", "info",
                                "--port", "2", "--stop", "a", "--stop", "b"});
  EXPECT_EQ(args.str("log-level", ""), "info");
  EXPECT_EQ(args.required("log-level"), "info");
  EXPECT_EQ(args.integer("port", 0, 0, 10), 2);
  EXPECT_EQ(args.all("stop"), (std::vector<std::string>{"a", "b"}));
}

TEST(CliArgs, ErrorsNameTheOption) {
  EXPECT_THROW(parse({"--nope", "1"}), cli::UsageError);
  EXPECT_THROW(parse({"--port"}), cli::UsageError);
  EXPECT_THROW(parse({"--port", "x"}).integer("port", 0, 0, 10), cli::UsageError);
  EXPECT_THROW(parse({"--port", "11"}).integer("port", 0, 0, 10), cli::UsageError);
  EXPECT_THROW(parse({}).required("port"), cli::UsageError);
}

}  // namespace
