// The service's clock is the one it is given: the evaluations it queues and the silences
// its API stores carry that clock's time, not the machine's, and [retention] counts ages
// on it.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "model/calendar.hpp"
#include "service/api.hpp"
#include "service/open_service.hpp"
#include "store/runs.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

namespace tiendo::service {
namespace {

const std::string kWrite = "tdo_clock-test-write-00000000000000000000000000";

class ServiceClock : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string problems;
    service_ = open_test_service(dir_.path(), testing::test_store(dir_.path(), "tiendo.db"),
                                 {{"writer", "write", kWrite}}, problems, [this] { return now_; });
    ASSERT_NE(service_, nullptr) << "the service does not open:\n" << problems;
  }

  // Years before the machine's day, so that nothing can pass by reading the real clock.
  Clock::time_point now_ = *model::parse_utc("2022-11-05T03:00:00Z");
  testing::TempDir dir_;
  std::unique_ptr<Service> service_;
};

TEST_F(ServiceClock, QueuedEvaluationsCarryTheGivenTime) {
  EXPECT_EQ(service_->now_text(), "2022-11-05T03:00:00Z");
  auto queued = service_->request_evaluation(std::nullopt, "writer");
  ASSERT_TRUE(std::holds_alternative<std::optional<std::int64_t>>(queued));
  const std::optional<std::int64_t> id = std::get<std::optional<std::int64_t>>(queued);
  ASSERT_TRUE(id.has_value());
  auto found = service_->evaluation(*id);
  ASSERT_TRUE(std::holds_alternative<std::optional<EvaluationRecord>>(found));
  const auto& record = std::get<std::optional<EvaluationRecord>>(found);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->requested_at, "2022-11-05T03:00:00Z");
  EXPECT_EQ(record->state, "queued");
}

TEST_F(ServiceClock, ASilenceAddedThroughTheApiStartsAtTheGivenTime) {
  now_ = *model::parse_utc("2022-11-05T08:30:00Z");
  Api api(*service_);
  ApiRequest request;
  request.method = "POST";
  request.path = "/api/v1/silences";
  request.headers = {{"Authorization", "Bearer " + kWrite}, {"Content-Type", "application/json"}};
  request.body = R"({"matchers": ["rule=online_dossier_2022"], "duration": "2h",
                     "author": "bcd", "comment": "chờ số liệu quý IV"})";
  RequestFacts facts;
  const ApiResponse response = api.handle(request, facts);
  ASSERT_EQ(response.status, 201) << response.body;
  const nlohmann::json silence = nlohmann::json::parse(response.body);
  EXPECT_EQ(silence["created_at"], "2022-11-05T08:30:00Z");
  EXPECT_EQ(silence["starts_at"], "2022-11-05T08:30:00Z");
  EXPECT_EQ(silence["ends_at"], "2022-11-05T10:30:00Z");
  EXPECT_EQ(silence["status"], "active");
}

// Issue #15: with [retention], a successful evaluation prunes the runs older than the
// setting, at most once a day: the results are then kept whole from the latest run.
TEST(ServiceRetention, AnEvaluationPrunesRunsOlderThanTheSetting) {
  testing::TempDir dir;
  Clock::time_point now = *model::parse_utc("2022-11-05T03:00:00Z");
  std::mutex clock_mutex;
  std::string problems;
  const std::string path = testing::test_store(dir.path(), "tiendo.db");
  auto service = open_test_service(
      dir.path(), path, {}, problems,
      [&] {
        std::lock_guard lock(clock_mutex);
        return now;
      },
      [](ServiceConfig& config) { config.retention = std::chrono::hours(24 * 2); });
  ASSERT_NE(service, nullptr) << problems;
  service->start();
  const auto evaluate = [&]() -> std::int64_t {
    auto queued = service->request_evaluation(std::nullopt, "test");
    EXPECT_TRUE(std::holds_alternative<std::optional<std::int64_t>>(queued));
    const std::int64_t id = *std::get<std::optional<std::int64_t>>(queued);
    for (int i = 0; i < 600; ++i) {
      auto found = service->evaluation(id);
      const auto& record = std::get<std::optional<EvaluationRecord>>(found);
      if (record && record->state == "succeeded") return record->run_id.value_or(0);
      EXPECT_FALSE(record && record->state == "failed") << record->error;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "evaluation " << id << " did not finish";
    return 0;
  };
  const std::int64_t first = evaluate();
  // The evaluation it keeps for the API holds every observation it read: the next one
  // starts from them.
  const std::shared_ptr<const Evaluation> latest = service->latest();
  ASSERT_NE(latest, nullptr);
  EXPECT_FALSE(latest->snapshot.trimmed());
  EXPECT_TRUE(latest->snapshot.read_through().has_value());
  EXPECT_FALSE(latest->results.rules.empty());
  {
    std::lock_guard lock(clock_mutex);
    now += std::chrono::hours(24 * 3);
  }
  const std::int64_t second = evaluate();
  ASSERT_GT(second, first);
  service.reset();  // stops its threads

  auto opened = store::Database::open(path);
  ASSERT_TRUE(std::holds_alternative<store::Database>(opened));
  store::Database& db = std::get<store::Database>(opened);
  auto old = store::results_at(db, first, {});
  ASSERT_TRUE(std::holds_alternative<store::StoredResultPage>(old));
  EXPECT_EQ(std::get<store::StoredResultPage>(old).status, store::StoredResultPage::Status::pruned);
  // From the first run of the later day: the schedule's own run, when its tick came first
  // on the service's clock, or the one asked for.
  EXPECT_GT(std::get<store::StoredResultPage>(old).kept_from, first);
  EXPECT_LE(std::get<store::StoredResultPage>(old).kept_from, second);
  auto kept = store::results_at(db, second, {});
  ASSERT_TRUE(std::holds_alternative<store::StoredResultPage>(kept));
  EXPECT_EQ(std::get<store::StoredResultPage>(kept).status, store::StoredResultPage::Status::ok);
  EXPECT_GT(std::get<store::StoredResultPage>(kept).total, 0);
}

}  // namespace
}  // namespace tiendo::service
