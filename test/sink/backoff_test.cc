#include "sink/backoff.h"

#include <gtest/gtest.h>

namespace sluice::sink {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, DoublesWithJitterUpToTheCap) {
  Backoff backoff(milliseconds(100), milliseconds(1000), 42);
  const int64_t ceilings[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (int64_t ceiling : ceilings) {
    milliseconds d = backoff.Next();
    EXPECT_GE(d.count(), ceiling / 2);
    EXPECT_LE(d.count(), ceiling);
  }
}

TEST(BackoffTest, ResetStartsOver) {
  Backoff backoff(milliseconds(100), milliseconds(10000), 1);
  for (int i = 0; i < 10; ++i) (void)backoff.Next();
  backoff.Reset();
  EXPECT_LE(backoff.Next().count(), 100);
}

TEST(BackoffTest, WritersWithDifferentSeedsDoNotRetryInLockstep) {
  Backoff a(milliseconds(1000), milliseconds(1000), 1),
      b(milliseconds(1000), milliseconds(1000), 2);
  int same = 0;
  for (int i = 0; i < 20; ++i) same += a.Next() == b.Next();
  EXPECT_LT(same, 5);
}

}  // namespace
}  // namespace sluice::sink
