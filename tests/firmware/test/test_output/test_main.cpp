// SPDX-License-Identifier: Apache-2.0
// Tests of src/output.cpp: argmax and dequantization.
#include <unity.h>

#include "tinyml/output.h"

void setUp() {}
void tearDown() {}

void test_argmax_int8() {
  const int8_t values[] = {-128, -5, 90, 17, 89};
  TEST_ASSERT_EQUAL_INT(2, tinyml::Argmax(values, 5));
}

void test_argmax_ties_keep_the_first_index() {
  const int8_t values[] = {-3, 12, 12, -3};
  TEST_ASSERT_EQUAL_INT(1, tinyml::Argmax(values, 4));
  const float floats[] = {0.25f, 0.25f};
  TEST_ASSERT_EQUAL_INT(0, tinyml::Argmax(floats, 2));
}

void test_argmax_all_negative_float() {
  const float values[] = {-3.0f, -0.5f, -1.0f};
  TEST_ASSERT_EQUAL_INT(1, tinyml::Argmax(values, 3));
}

void test_argmax_of_nothing_is_minus_one() {
  const int8_t values[] = {1};
  TEST_ASSERT_EQUAL_INT(-1, tinyml::Argmax(values, 0));
  TEST_ASSERT_EQUAL_INT(-1,
                        tinyml::Argmax(static_cast<const float*>(nullptr), 3));
}

void test_dequantize() {
  // A softmax output quantized with scale 1/256 and zero point -128.
  TEST_ASSERT_EQUAL_FLOAT(0.99609375f,
                          tinyml::Dequantize(127, 0.00390625f, -128));
  TEST_ASSERT_EQUAL_FLOAT(0.0f, tinyml::Dequantize(-128, 0.00390625f, -128));
  TEST_ASSERT_EQUAL_FLOAT(-1.5f, tinyml::Dequantize(-3, 0.5f, 0));
  const int8_t values[] = {-128, 0, 127};
  float out[3];
  tinyml::Dequantize(values, 3, 0.1f, 2, out);
  TEST_ASSERT_FLOAT_WITHIN(1e-6f, -13.0f, out[0]);
  TEST_ASSERT_FLOAT_WITHIN(1e-6f, -0.2f, out[1]);
  TEST_ASSERT_FLOAT_WITHIN(1e-5f, 12.5f, out[2]);
}

int main() {
  UNITY_BEGIN();
  RUN_TEST(test_argmax_int8);
  RUN_TEST(test_argmax_ties_keep_the_first_index);
  RUN_TEST(test_argmax_all_negative_float);
  RUN_TEST(test_argmax_of_nothing_is_minus_one);
  RUN_TEST(test_dequantize);
  UNITY_END();
  return 0;
}
