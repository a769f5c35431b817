#include "notify/signature.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>

namespace tiendo::notify {
namespace {

// The reference vector of the Standard Webhooks libraries (libraries/go/webhook_test.go,
// TestWebhookSign, in github.com/standard-webhooks/standard-webhooks).
constexpr std::string_view kReferenceSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kReferenceId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t kReferenceTimestamp = 1614265330;
constexpr std::string_view kReferenceBody = R"({"test": 2432232314})";
constexpr std::string_view kReferenceSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

WebhookSecret reference_secret() {
  std::string error;
  auto secret = parse_webhook_secret(kReferenceSecret, &error);
  EXPECT_TRUE(secret.has_value()) << error;
  return secret.value_or(WebhookSecret{});
}

WebhookCheck verify_at(std::int64_t now, std::string_view signature,
                       std::string_view body = kReferenceBody) {
  return verify_webhook(reference_secret(), kReferenceId, std::to_string(kReferenceTimestamp),
                        signature, body, now);
}

TEST(SignatureBase64, EncodesTheRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xfb\xff\x00", 3)), "+/8A");
}

TEST(SignatureBase64, DecodesTheRfc4648Vectors) {
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm9v"), "foo");
  EXPECT_EQ(base64_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64_decode("+/8A"), std::string("\xfb\xff\x00", 3));
}

TEST(SignatureBase64, RejectsWhatIsNotWholeBase64) {
  for (const std::string_view text :
       {"Zg", "Zg=", "Zm9", "Z===", "====", "Zg==Zg==", "Zm=v", " Zm9v", "Zm9v ", "Zm9v\n", "Zm 9v",
        "Zm9-", "Zm9_", "Zm9v!"}) {
    EXPECT_EQ(base64_decode(text), std::nullopt) << '"' << text << '"';
  }
}

TEST(SignatureBase64, RoundTripsRandomBytes) {
  std::mt19937 random(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  // Past 3 * 16384 bytes the encoder and decoder work in chunks; the sizes cross that.
  for (const std::size_t size :
       {0u, 1u, 2u, 3u, 4u, 5u, 31u, 32u, 33u, 1000u, 49151u, 49152u, 49153u, 100000u}) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(byte(random));
    const std::string text = base64_encode(bytes);
    EXPECT_EQ(text.size(), (size + 2) / 3 * 4);
    EXPECT_EQ(base64_decode(text), bytes) << size << " bytes";
  }
}

TEST(SignatureSecret, ReadsTheStandardWebhooksForm) {
  std::string error;
  const auto secret = parse_webhook_secret(kReferenceSecret, &error);
  ASSERT_TRUE(secret.has_value()) << error;
  EXPECT_EQ(secret->key.size(), 24u);
  EXPECT_EQ(base64_encode(secret->key), kReferenceSecret.substr(6));
}

TEST(SignatureSecret, RejectsBadSecretsWithoutEchoingThem) {
  const std::string_view cases[] = {
      "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",        // no prefix
      "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  // prefix in the wrong case
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",   // not a multiple of four
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa$w",  // not the base64 alphabet
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", "whsec_", "",
  };
  for (const std::string_view text : cases) {
    std::string error;
    EXPECT_EQ(parse_webhook_secret(text, &error), std::nullopt) << '"' << text << '"';
    EXPECT_FALSE(error.empty()) << '"' << text << '"';
    EXPECT_EQ(error.find("MfKQ9r8G"), std::string::npos) << error;
  }
  EXPECT_EQ(parse_webhook_secret("whsec_", nullptr), std::nullopt);  // no error wanted
}

TEST(SignatureSign, MatchesTheStandardWebhooksReferenceVector) {
  EXPECT_EQ(sign_webhook(reference_secret(), kReferenceId, kReferenceTimestamp, kReferenceBody),
            kReferenceSignature);
}

TEST(SignatureVerify, AcceptsTheReferenceVectorWithinTheTolerance) {
  EXPECT_EQ(verify_at(kReferenceTimestamp, kReferenceSignature), WebhookCheck::ok);
  EXPECT_EQ(verify_at(kReferenceTimestamp + 300, kReferenceSignature), WebhookCheck::ok);
  EXPECT_EQ(verify_at(kReferenceTimestamp - 300, kReferenceSignature), WebhookCheck::ok);
}

TEST(SignatureVerify, RoundTripsWhatItSigns) {
  std::string error;
  const auto secret = parse_webhook_secret("whsec_c2VjcmV0LW9mLXRoZS10aWVuZG8tdGVzdHM=", &error);
  ASSERT_TRUE(secret.has_value()) << error;
  const std::string body = "{\"rule\":\"tỷ lệ hồ sơ\",\"state\":\"missed\"}\n";
  const std::int64_t now = 1760000000;
  const std::string signature = sign_webhook(*secret, "evt_42", now, body);
  EXPECT_EQ(verify_webhook(*secret, "evt_42", std::to_string(now), signature, body, now),
            WebhookCheck::ok);
  EXPECT_EQ(verify_webhook(*secret, "evt_43", std::to_string(now), signature, body, now),
            WebhookCheck::bad_signature);
  EXPECT_EQ(verify_webhook(*secret, "evt_42", std::to_string(now + 1), signature, body, now),
            WebhookCheck::bad_signature);
}

TEST(SignatureVerify, RejectsATamperedBody) {
  EXPECT_EQ(verify_at(kReferenceTimestamp, kReferenceSignature, R"({"test": 2432232315})"),
            WebhookCheck::bad_signature);
  EXPECT_EQ(verify_at(kReferenceTimestamp, kReferenceSignature, ""), WebhookCheck::bad_signature);
}

TEST(SignatureVerify, RejectsAnotherSecret) {
  const auto other =
      parse_webhook_secret("whsec_c2VjcmV0LW9mLWEtcm90YXRlZC1lbmRwb2ludA==", nullptr);
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(verify_webhook(*other, kReferenceId, std::to_string(kReferenceTimestamp),
                           kReferenceSignature, kReferenceBody, kReferenceTimestamp),
            WebhookCheck::bad_signature);
}

TEST(SignatureVerify, RejectsTimestampsOutsideTheTolerance) {
  EXPECT_EQ(verify_at(kReferenceTimestamp + 301, kReferenceSignature), WebhookCheck::too_old);
  EXPECT_EQ(verify_at(kReferenceTimestamp + 86400, kReferenceSignature), WebhookCheck::too_old);
  EXPECT_EQ(verify_at(kReferenceTimestamp - 301, kReferenceSignature), WebhookCheck::too_new);
  EXPECT_EQ(verify_webhook(reference_secret(), kReferenceId, std::to_string(kReferenceTimestamp),
                           kReferenceSignature, kReferenceBody, kReferenceTimestamp + 60,
                           /*tolerance_seconds=*/30),
            WebhookCheck::too_old);
  // Extreme clocks must not overflow into "ok".
  EXPECT_EQ(verify_at(std::numeric_limits<std::int64_t>::min(), kReferenceSignature),
            WebhookCheck::too_new);
  EXPECT_EQ(verify_at(std::numeric_limits<std::int64_t>::max(), kReferenceSignature),
            WebhookCheck::too_old);
}

TEST(SignatureVerify, ChecksTheSignatureBeforeTheTimestamp) {
  const std::string forged = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
  EXPECT_EQ(verify_at(kReferenceTimestamp + 86400, forged), WebhookCheck::bad_signature);
}

TEST(SignatureVerify, AcceptsAnyMatchingEntryAmongSeveral) {
  const std::string forged = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
  const std::string other_version = "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
  const std::string valid(kReferenceSignature);
  EXPECT_EQ(
      verify_at(kReferenceTimestamp, forged + " " + other_version + " " + valid + " " + forged),
      WebhookCheck::ok);
  EXPECT_EQ(verify_at(kReferenceTimestamp, valid + " " + forged), WebhookCheck::ok);
  EXPECT_EQ(verify_at(kReferenceTimestamp, "garbage  " + valid), WebhookCheck::ok);
  EXPECT_EQ(verify_at(kReferenceTimestamp, forged + " " + forged), WebhookCheck::bad_signature);
  // The right signature under another version label does not count.
  EXPECT_EQ(verify_at(kReferenceTimestamp, "v2," + valid.substr(3)), WebhookCheck::bad_signature);
  // Nor does a prefix of it.
  EXPECT_EQ(verify_at(kReferenceTimestamp, valid.substr(0, valid.size() - 4)),
            WebhookCheck::bad_signature);
}

TEST(SignatureVerify, ReportsMalformedHeaders) {
  const WebhookSecret secret = reference_secret();
  const auto verify = [&](std::string_view id, std::string_view timestamp,
                          std::string_view signature) {
    return verify_webhook(secret, id, timestamp, signature, kReferenceBody, kReferenceTimestamp);
  };
  const std::string timestamp = std::to_string(kReferenceTimestamp);
  EXPECT_EQ(verify("", timestamp, kReferenceSignature), WebhookCheck::malformed);
  for (const std::string_view bad_timestamp :
       {"", " 1614265330", "1614265330 ", "+1614265330", "-1614265330", "1614265330.0",
        "16142653x0", "99999999999999999999"}) {
    EXPECT_EQ(verify(kReferenceId, bad_timestamp, kReferenceSignature), WebhookCheck::malformed)
        << '"' << bad_timestamp << '"';
  }
  for (const std::string_view bad_signature : {"", " ", "v1", "v1,", ",abc", "g0hM9SsE+OTPJTGt"}) {
    EXPECT_EQ(verify(kReferenceId, timestamp, bad_signature), WebhookCheck::malformed)
        << '"' << bad_signature << '"';
  }
  EXPECT_EQ(verify(kReferenceId, timestamp, "v1,not-base64!"), WebhookCheck::bad_signature);
}

TEST(SignatureVerify, NamesEveryResult) {
  EXPECT_EQ(to_string(WebhookCheck::ok), "ok");
  EXPECT_EQ(to_string(WebhookCheck::malformed), "malformed");
  EXPECT_EQ(to_string(WebhookCheck::bad_signature), "bad_signature");
  EXPECT_EQ(to_string(WebhookCheck::too_old), "too_old");
  EXPECT_EQ(to_string(WebhookCheck::too_new), "too_new");
}

}  // namespace
}  // namespace tiendo::notify
