// SPDX-License-Identifier: Apache-2.0
// Tests of src/result_reporter.cpp, src/result.cpp and src/timing.cpp: the
// exact result lines and the latency clock.
#include <unity.h>

#include <cstring>

#include "tinyml/result_reporter.h"
#include "tinyml/timing.h"

namespace {

// Collects every emitted line into one string.
struct Capture {
  char text[512];
  int lines;
};

void CaptureSink(const char* line, void* context) {
  Capture* capture = static_cast<Capture*>(context);
  std::strncat(capture->text, line,
               sizeof(capture->text) - std::strlen(capture->text) - 1);
  ++capture->lines;
}

Capture g_capture;

uint32_t g_fake_micros = 0;
uint32_t FakeMicros() { return g_fake_micros; }

}  // namespace

void setUp() { std::memset(&g_capture, 0, sizeof(g_capture)); }
void tearDown() { tinyml::SetMicrosSource(nullptr); }

void test_inference_line_with_expected_label() {
  tinyml::ResultReporter reporter(CaptureSink, &g_capture);
  reporter.ReportInference(3, {7, 0.98f, 1234}, 7);
  TEST_ASSERT_EQUAL_STRING(
      "TINYML image=3 label=7 expected=7 score=0.98 us=1234\n", g_capture.text);
  TEST_ASSERT_EQUAL_INT(1, reporter.correct());
}

void test_inference_line_without_expected_label() {
  tinyml::ResultReporter reporter(CaptureSink, &g_capture);
  reporter.ReportInference(0, {2, 0.5f, 0}, -1);
  TEST_ASSERT_EQUAL_STRING("TINYML image=0 label=2 score=0.50 us=0\n",
                           g_capture.text);
  TEST_ASSERT_EQUAL_INT(0, reporter.checked());
}

void test_ok_and_fail_lines() {
  tinyml::ResultReporter reporter(CaptureSink, &g_capture);
  reporter.ReportOk();
  reporter.ReportFail("invoke_failed");
  TEST_ASSERT_EQUAL_STRING("TINYML ok\nTINYML fail invoke_failed\n",
                           g_capture.text);
  TEST_ASSERT_EQUAL_INT(2, g_capture.lines);
}

void test_summary_counts_misclassifications() {
  tinyml::ResultReporter reporter(CaptureSink, &g_capture);
  reporter.ReportInference(0, {1, 0.9f, 10}, 1);
  reporter.ReportInference(1, {4, 0.6f, 10}, 9);
  reporter.ReportInference(2, {3, 0.7f, 10}, -1);
  TEST_ASSERT_FALSE(reporter.ReportSummary());
  TEST_ASSERT_NOT_NULL(
      std::strstr(g_capture.text, "TINYML fail 1 of 2 images misclassified\n"));
}

void test_summary_ok_and_empty() {
  tinyml::ResultReporter ok(CaptureSink, &g_capture);
  ok.ReportInference(0, {5, 1.0f, 1}, 5);
  TEST_ASSERT_TRUE(ok.ReportSummary());
  TEST_ASSERT_NOT_NULL(std::strstr(g_capture.text, "TINYML ok\n"));
  tinyml::ResultReporter empty(CaptureSink, &g_capture);
  TEST_ASSERT_FALSE(empty.ReportSummary());
  TEST_ASSERT_NOT_NULL(
      std::strstr(g_capture.text, "TINYML fail no inferences were reported\n"));
}

void test_fixed2_rounding() {
  char out[16];
  tinyml::FormatFixed2(0.976f, out, sizeof(out));
  TEST_ASSERT_EQUAL_STRING("0.98", out);
  tinyml::FormatFixed2(0.004f, out, sizeof(out));
  TEST_ASSERT_EQUAL_STRING("0.00", out);
  tinyml::FormatFixed2(-1.5f, out, sizeof(out));
  TEST_ASSERT_EQUAL_STRING("-1.50", out);
  tinyml::FormatFixed2(-0.001f, out, sizeof(out));
  TEST_ASSERT_EQUAL_STRING("0.00", out);
  tinyml::FormatFixed2(12.345f, out, sizeof(out));
  TEST_ASSERT_EQUAL_STRING("12.35", out);
  TEST_ASSERT_EQUAL_size_t(0, tinyml::FormatFixed2(1.0f, out, 4));
}

void test_status_names() {
  TEST_ASSERT_EQUAL_STRING("ok", tinyml::StatusName(tinyml::Status::kOk));
  TEST_ASSERT_EQUAL_STRING(
      "model_version_mismatch",
      tinyml::StatusName(tinyml::Status::kModelVersionMismatch));
  TEST_ASSERT_EQUAL_STRING(
      "allocation_failed",
      tinyml::StatusName(tinyml::Status::kAllocationFailed));
  TEST_ASSERT_EQUAL_STRING("not_ready",
                           tinyml::StatusName(tinyml::Status::kNotReady));
}

void test_micros_source() {
  TEST_ASSERT_EQUAL_UINT32(0, tinyml::Micros());  // no clock installed
  tinyml::SetMicrosSource(FakeMicros);
  g_fake_micros = 0xFFFFFFF0u;
  const uint32_t start = tinyml::Micros();
  g_fake_micros = 0x10u;  // wrapped around
  TEST_ASSERT_EQUAL_UINT32(0x20u, tinyml::MicrosSince(start));
}

int main() {
  UNITY_BEGIN();
  RUN_TEST(test_inference_line_with_expected_label);
  RUN_TEST(test_inference_line_without_expected_label);
  RUN_TEST(test_ok_and_fail_lines);
  RUN_TEST(test_summary_counts_misclassifications);
  RUN_TEST(test_summary_ok_and_empty);
  RUN_TEST(test_fixed2_rounding);
  RUN_TEST(test_status_names);
  RUN_TEST(test_micros_source);
  UNITY_END();
  return 0;
}
