#include "pipeline/aggregator.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sluice::pipeline {
namespace {

struct Emitted {
  std::string host, client_ip, reason_class, rbl, granularity, sample;
  uint64_t events = 0;
  int64_t first_seen_us = 0, last_seen_us = 0;
};

class AggregatorTest : public ::testing::Test {
 protected:
  // A reject from `ip`, kept alive by the fixture (rows hold views).
  format::EventRow Row(const std::string& ip, std::string_view klass = "rbl",
                       int64_t at_us = 1'000) {
    ips_.push_back(ip);
    format::EventRow row;
    row.received_at_us = at_us;
    row.host = "mx1";
    row.mta = "postfix";
    row.is_reject = true;
    row.client_ip = ips_.back();
    row.reason_class = klass;
    row.rbl = klass == "rbl" ? "zen.spamhaus.org" : "";
    row.raw = "<22>Nov 28 10:00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: ...";
    return row;
  }
  static std::vector<Emitted> Drain(Aggregator& aggregator) {
    std::vector<Emitted> rows;
    aggregator.Drain(10, 20, [&](const format::AggregateRow& row) {
      EXPECT_EQ(row.window_start_us, 10);
      EXPECT_EQ(row.window_end_us, 20);
      rows.push_back({std::string(row.host), std::string(row.client_ip),
                      std::string(row.reason_class), std::string(row.rbl),
                      std::string(row.granularity), std::string(row.sample), row.events,
                      row.first_seen_us, row.last_seen_us});
    });
    return rows;
  }
  static uint64_t Total(const std::vector<Emitted>& rows) {
    uint64_t total = 0;
    for (const Emitted& row : rows) total += row.events;
    return total;
  }
  std::vector<std::string> ips_;  // stable: reserved below
  void SetUp() override { ips_.reserve(1'000'000); }
};

TEST_F(AggregatorTest, CountsEventsPerKeyWithTheirFirstAndLastSeen) {
  Aggregator aggregator({});
  ASSERT_TRUE(aggregator.Add(Row("198.18.0.1", "rbl", 5)));
  ASSERT_TRUE(aggregator.Add(Row("198.18.0.1", "rbl", 3)));
  ASSERT_TRUE(aggregator.Add(Row("198.18.0.1", "rbl", 9)));
  ASSERT_TRUE(aggregator.Add(Row("198.18.0.1", "helo", 4)));
  ASSERT_TRUE(aggregator.Add(Row("2001:db8::1", "rbl", 4)));
  EXPECT_EQ(aggregator.keys(), 3u);
  EXPECT_EQ(aggregator.events(), 5u);
  std::map<std::string, Emitted> by_key;
  for (const Emitted& row : Drain(aggregator)) by_key[row.client_ip + " " + row.reason_class] = row;
  ASSERT_EQ(by_key.size(), 3u);
  const Emitted& hits = by_key.at("198.18.0.1 rbl");
  EXPECT_EQ(hits.events, 3u);
  EXPECT_EQ(hits.first_seen_us, 3);
  EXPECT_EQ(hits.last_seen_us, 9);
  EXPECT_EQ(hits.rbl, "zen.spamhaus.org");
  EXPECT_EQ(hits.host, "mx1");
  EXPECT_EQ(hits.granularity, "key");
  EXPECT_FALSE(hits.sample.empty());
  EXPECT_EQ(by_key.at("198.18.0.1 helo").rbl, "");
  EXPECT_EQ(aggregator.keys(), 0u);  // the next window starts empty
}

TEST_F(AggregatorTest, FullKeysCoarsenToNetworksThenToClassesWithoutLosingAnEvent) {
  Aggregator::Options options;
  options.max_keys = 100;
  Aggregator aggregator(options);
  uint64_t added = 0;
  for (int a = 0; a < 4; ++a) {
    for (int b = 0; b < 60; ++b) {
      ASSERT_TRUE(aggregator.Add(Row("198.18." + std::to_string(a) + "." + std::to_string(b))));
      ++added;
    }
  }
  EXPECT_EQ(aggregator.granularity(), Granularity::kPrefix);
  std::vector<Emitted> rows = Drain(aggregator);
  EXPECT_EQ(Total(rows), added);
  ASSERT_EQ(rows.size(), 4u);
  for (const Emitted& row : rows) {
    EXPECT_EQ(row.events, 60u);
    EXPECT_EQ(row.granularity, "prefix");
    EXPECT_TRUE(row.client_ip.ends_with(".0/24")) << row.client_ip;
  }

  // 240 addresses did not fit in 100 keys, so the next window starts at networks; 300 networks
  // do not fit either: reason class (and host) only.
  EXPECT_EQ(aggregator.granularity(), Granularity::kPrefix);
  added = 0;
  for (int a = 0; a < 300; ++a) {
    ASSERT_TRUE(
        aggregator.Add(Row("198.19." + std::to_string(a % 256) + "." + std::to_string(a / 256),
                           a % 2 == 0 ? "rbl" : "helo")));
    ++added;
  }
  EXPECT_EQ(aggregator.granularity(), Granularity::kClass);
  rows = Drain(aggregator);
  EXPECT_EQ(Total(rows), added);
  ASSERT_EQ(rows.size(), 2u);
  for (const Emitted& row : rows) {
    EXPECT_EQ(row.client_ip, "");
    EXPECT_EQ(row.rbl, "");
    EXPECT_EQ(row.host, "mx1");
    EXPECT_EQ(row.granularity, "class");
  }

  // A quiet window: 5 addresses would fit, so the one after it is fine-grained again.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(aggregator.Add(Row("192.0.2." + std::to_string(i))));
  Drain(aggregator);
  EXPECT_EQ(aggregator.granularity(), Granularity::kKey);
}

TEST_F(AggregatorTest, IPv6ClientsCoarsenToTheirSlash64) {
  Aggregator::Options options;
  options.max_keys = 16;
  Aggregator aggregator(options);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(
        aggregator.Add(Row("2001:db8:0:" + std::to_string(i % 2) + "::" + std::to_string(i + 1))));
  }
  std::vector<Emitted> rows = Drain(aggregator);
  ASSERT_EQ(rows.size(), 2u);
  for (const Emitted& row : rows) EXPECT_TRUE(row.client_ip.ends_with("::/64")) << row.client_ip;
  EXPECT_EQ(Total(rows), 40u);
}

TEST_F(AggregatorTest, WhenEvenClassKeysAreFullAnEventIsRefused) {
  Aggregator::Options options;
  options.max_keys = 16;
  options.key = {KeyField::kHost};  // no client: coarsening has nothing to cut
  Aggregator aggregator(options);
  std::vector<std::string> hosts;
  hosts.reserve(40);
  uint64_t counted = 0, refused = 0;
  for (int i = 0; i < 40; ++i) {
    hosts.push_back("mx" + std::to_string(i));
    format::EventRow row = Row("192.0.2.1");
    row.host = hosts.back();
    (aggregator.Add(row) ? counted : refused) += 1;
  }
  EXPECT_EQ(counted, 16u);
  EXPECT_EQ(refused, 24u);
  EXPECT_EQ(Total(Drain(aggregator)), counted);
}

TEST_F(AggregatorTest, KeyFieldsAreNamedAsInTheConfig) {
  EXPECT_EQ(KeyFieldNamed("client_ip"), KeyField::kClientIp);
  EXPECT_EQ(KeyFieldNamed("smtp_code"), KeyField::kSmtpCode);
  EXPECT_EQ(KeyFieldNamed("raw"), std::nullopt);
}

}  // namespace
}  // namespace sluice::pipeline
