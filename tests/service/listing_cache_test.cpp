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

// kWaiting requests asking for "open" at kFirst while another holds the turn: each
// records whether it got a turn and the body it got. They are all asking once built (a
// request that came after the maker let go would find the body, or take a turn).
class Waiting {
 public:
  static constexpr int kWaiting = 3;
  explicit Waiting(ListingCache& cache) {
    for (int i = 0; i < kWaiting; ++i) {
      threads_.emplace_back([&, i] {
        ListingCache::Turn turn;
        ++started_;
        // Far longer than the test: they return only once the maker is done.
        const auto body = cache.find_or_make("open", kFirst, milliseconds(60000), turn);
        if (turn) ++turns;
        if (body) bodies[static_cast<std::size_t>(i)] = *body;
        ++answered;
      });
    }
    while (started_.load() < kWaiting) std::this_thread::yield();
    std::this_thread::sleep_for(milliseconds(200));
  }
  void join() { threads_.clear(); }

  std::atomic<int> answered{0};
  std::atomic<int> turns{0};
  std::vector<std::string> bodies = std::vector<std::string>(kWaiting);

 private:
  std::atomic<int> started_{0};
  std::vector<std::jthread> threads_;
};

TEST(ListingCache, OneRequestMakesAMissingAnswerWhileTheOthersWaitForIt) {
  ListingCache cache;
  ListingCache::Turn maker;
  ASSERT_EQ(cache.find_or_make("open", kFirst, milliseconds(0), maker), nullptr);
  ASSERT_TRUE(maker);
  Waiting waiting(cache);
  // No answer and a turn taken: none of them can return yet, however long they are given.
  EXPECT_EQ(waiting.answered.load(), 0);

  cache.keep("open", kFirst, "[1,2]");
  maker = ListingCache::Turn();  // the maker lets its turn go
  waiting.join();
  EXPECT_EQ(waiting.answered.load(), Waiting::kWaiting);
  EXPECT_EQ(waiting.turns.load(), 0) << "a waiting request made the answer too";
  for (const std::string& body : waiting.bodies) EXPECT_EQ(body, "[1,2]");
}

// A maker that keeps nothing (it failed, or the body is too large to keep) lets every
// request that waited for it make its own at once: none waits on a second maker.
TEST(ListingCache, AfterAMakerThatKeptNothingTheWaitingRequestsMakeTheirOwn) {
  ListingCache cache;
  ListingCache::Turn maker;
  ASSERT_EQ(cache.find_or_make("open", kFirst, milliseconds(0), maker), nullptr);
  Waiting waiting(cache);
  EXPECT_EQ(waiting.answered.load(), 0);
  cache.keep("open", kFirst, std::string(ListingCache::kMaxBody + 1, 'x'));  // not kept
  maker = ListingCache::Turn();
  waiting.join();
  EXPECT_EQ(waiting.answered.load(), Waiting::kWaiting);
  // None took a turn that the others would wait for in their turn.
  EXPECT_EQ(waiting.turns.load(), 0);
  for (const std::string& body : waiting.bodies) EXPECT_EQ(body, "");
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
  // A turn moved keeps the request's place: the moved-from one, gone, lets nothing go.
  ListingCache::Turn moved = std::move(maker);
  maker = ListingCache::Turn();
  ListingCache::Turn again;
  EXPECT_EQ(cache.find_or_make("open", kFirst, milliseconds(0), again), nullptr);
  EXPECT_FALSE(again);
}

}  // namespace
}  // namespace tiendo::service
