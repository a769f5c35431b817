// ListingCache: the alerts listing's answers, and the single request that makes a missing
// one while the others asking for it wait.
#include "service/listing_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace tiendo::service {
namespace {

using std::chrono::milliseconds;
using Version = ListingCache::Version;

constexpr Version kFirst{.alerts = 1, .run = 1};
constexpr Version kLater{.alerts = 2, .run = 1};

TEST(ListingCache, AKeptAnswerIsFoundWithoutATurn) {
  ListingCache cache;
  cache.keep("open", kFirst, "[1]");
  ListingCache::Turn turn;
  const auto body = cache.find_or_make("open", kFirst, milliseconds(0), turn);
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(*body, "[1]");
  EXPECT_FALSE(turn);
  // At a later version it is made again, by the first to ask.
  EXPECT_EQ(cache.find_or_make("open", kLater, milliseconds(0), turn), nullptr);
  EXPECT_TRUE(turn);
}

TEST(ListingCache, OneRequestMakesAMissingAnswerWhileTheOthersWaitForIt) {
  ListingCache cache;
  ListingCache::Turn maker;
  ASSERT_EQ(cache.find_or_make("open", kFirst, milliseconds(0), maker), nullptr);
  ASSERT_TRUE(maker);

  constexpr int kWaiting = 3;
  std::atomic<int> answered{0};
  std::atomic<int> turns{0};
  std::vector<std::string> bodies(kWaiting);
  std::vector<std::jthread> waiting;
  for (int i = 0; i < kWaiting; ++i) {
    waiting.emplace_back([&, i] {
      ListingCache::Turn turn;
      // Far longer than the test: they return only once the answer is there.
      const auto body = cache.find_or_make("open", kFirst, milliseconds(60000), turn);
      if (turn) ++turns;
      if (body) bodies[static_cast<std::size_t>(i)] = *body;
      ++answered;
    });
  }
  // No answer and a turn taken: none of them can return yet, however long they are given.
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(answered.load(), 0);

  cache.keep("open", kFirst, "[1,2]");
  maker = ListingCache::Turn();  // the maker lets its turn go
  waiting.clear();               // joined
  EXPECT_EQ(answered.load(), kWaiting);
  EXPECT_EQ(turns.load(), 0) << "a waiting request made the answer too";
  for (const std::string& body : bodies) EXPECT_EQ(body, "[1,2]");
}

// A maker that keeps nothing (it failed, or the body is too large to keep) lets every
// request that waited for it make its own at once: none waits on a second maker.
TEST(ListingCache, AfterAMakerThatKeptNothingTheWaitingRequestsMakeTheirOwn) {
  ListingCache cache;
  auto maker = std::make_unique<ListingCache::Turn>();
  ASSERT_EQ(cache.find_or_make("open", kFirst, milliseconds(0), *maker), nullptr);
  constexpr int kWaiting = 3;
  std::atomic<int> started{0};
  std::atomic<int> answered{0};
  std::atomic<int> turns{0};
  std::vector<std::jthread> waiting;
  for (int i = 0; i < kWaiting; ++i) {
    waiting.emplace_back([&] {
      ListingCache::Turn turn;
      ++started;
      EXPECT_EQ(cache.find_or_make("open", kFirst, milliseconds(60000), turn), nullptr);
      if (turn) ++turns;
      ++answered;
    });
  }
  // Each is waiting (a request that came after the maker let go would take a turn).
  while (started.load() < kWaiting) std::this_thread::yield();
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(answered.load(), 0);
  cache.keep("open", kFirst, std::string(ListingCache::kMaxBody + 1, 'x'));  // not kept
  maker.reset();
  waiting.clear();
  EXPECT_EQ(answered.load(), kWaiting);
  // None took a turn that the others would wait for in their turn.
  EXPECT_EQ(turns.load(), 0);
}

TEST(ListingCache, AWaitThatRunsOutMakesTheAnswerWithoutATurn) {
  ListingCache cache;
  ListingCache::Turn maker;
  ASSERT_EQ(cache.find_or_make("open", kFirst, milliseconds(0), maker), nullptr);
  const auto started = std::chrono::steady_clock::now();
  ListingCache::Turn turn;
  EXPECT_EQ(cache.find_or_make("open", kFirst, milliseconds(50), turn), nullptr);
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(50));
  EXPECT_FALSE(turn);
}

TEST(ListingCache, AnotherKeyOrVersionIsNotWaitedFor) {
  ListingCache cache;
  ListingCache::Turn maker;
  ASSERT_EQ(cache.find_or_make("open", kFirst, milliseconds(0), maker), nullptr);
  ListingCache::Turn other_key;
  EXPECT_EQ(cache.find_or_make("firing", kFirst, milliseconds(0), other_key), nullptr);
  EXPECT_TRUE(other_key);
  ListingCache::Turn other_version;
  EXPECT_EQ(cache.find_or_make("open", kLater, milliseconds(0), other_version), nullptr);
  EXPECT_TRUE(other_version);
  // A turn moved keeps the request's place: the moved-from one lets nothing go.
  ListingCache::Turn moved = std::move(maker);
  ListingCache::Turn again;
  EXPECT_EQ(cache.find_or_make("open", kFirst, milliseconds(0), again), nullptr);
  EXPECT_FALSE(again);
}

}  // namespace
}  // namespace tiendo::service
