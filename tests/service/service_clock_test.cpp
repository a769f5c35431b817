// The service's clock is the one it is given: the evaluations it queues and the silences
// its API stores carry that clock's time, not the machine's.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "model/calendar.hpp"
#include "service/api.hpp"
#include "service/open_service.hpp"
#include "support/temp_dir.hpp"

namespace tiendo::service {
namespace {

const std::string kWrite = "tdo_clock-test-write-00000000000000000000000000";

class ServiceClock : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string problems;
    service_ = open_test_service(dir_.path(), dir_.path() + "/tiendo.db",
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

}  // namespace
}  // namespace tiendo::service
