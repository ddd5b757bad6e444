/* SPDX-License-Identifier: Apache-2.0 */
/* unity-lite: the subset of the Unity test API used by the platformio-tinyml
 * suites. Prints Unity-format lines ("file:line:name:PASS|FAIL|IGNORE[: msg]"
 * and the "N Tests N Failures N Ignored" footer). A failed assertion ends the
 * current test through longjmp, as in Unity. */
#ifndef UNITY_LITE_UNITY_H_
#define UNITY_LITE_UNITY_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*UnityTestFunction)(void);
typedef long UNITY_INT;
typedef unsigned long UNITY_UINT;

/* Provided by the suite (Unity requires both; they may be empty). */
void setUp(void);
void tearDown(void);

void UnityBegin(const char* file);
int UnityEnd(void);
void UnityDefaultTestRun(UnityTestFunction func, const char* name, int line);

void UnityFail(const char* message, int line);
void UnityIgnore(const char* message, int line);
void UnityPass(int line);

/* Formats of integers in messages. */
enum UnityDisplayStyle {
  UNITY_DISPLAY_INT,
  UNITY_DISPLAY_UINT,
  UNITY_DISPLAY_HEX
};
/* Comparisons of UnityAssertCompare: is `actual` <op> `threshold`? */
enum UnityComparison {
  UNITY_GREATER_THAN,
  UNITY_LESS_THAN,
  UNITY_GREATER_OR_EQUAL,
  UNITY_LESS_OR_EQUAL,
  UNITY_NOT_EQUAL
};

void UnityAssertEqualNumber(UNITY_INT expected, UNITY_INT actual,
                            const char* message, int line,
                            enum UnityDisplayStyle style);
void UnityAssertCompare(UNITY_INT threshold, UNITY_INT actual,
                        enum UnityComparison op, const char* message, int line);
void UnityAssertEqualInt8Array(const int8_t* expected, const int8_t* actual,
                               size_t count, const char* message, int line);
void UnityAssertEqualUint8Array(const uint8_t* expected, const uint8_t* actual,
                                size_t count, const char* message, int line);
void UnityAssertEqualIntArray(const int* expected, const int* actual,
                              size_t count, const char* message, int line);
void UnityAssertEqualMemory(const void* expected, const void* actual,
                            size_t bytes, const char* message, int line);
void UnityAssertFloatsWithin(float delta, float expected, float actual,
                             const char* message, int line);
void UnityAssertEqualString(const char* expected, const char* actual,
                            const char* message, int line);

#ifdef __cplusplus
}
#endif

/* --- Test runner --- */
#define UNITY_BEGIN() UnityBegin(__FILE__)
#define UNITY_END() UnityEnd()
#define RUN_TEST(func) UnityDefaultTestRun(func, #func, __LINE__)

/* --- Outcomes --- */
#define TEST_PASS() UnityPass(__LINE__)
#define TEST_FAIL() UnityFail(NULL, __LINE__)
#define TEST_FAIL_MESSAGE(message) UnityFail((message), __LINE__)
#define TEST_IGNORE() UnityIgnore(NULL, __LINE__)
#define TEST_IGNORE_MESSAGE(message) UnityIgnore((message), __LINE__)

/* --- Booleans and pointers --- */
#define TEST_ASSERT_MESSAGE(condition, message)       \
  do {                                                \
    if (!(condition)) UnityFail((message), __LINE__); \
  } while (0)
#define TEST_ASSERT(condition) \
  TEST_ASSERT_MESSAGE((condition), "Expression Evaluated To FALSE")
#define TEST_ASSERT_TRUE(condition) \
  TEST_ASSERT_MESSAGE((condition), "Expected TRUE Was FALSE")
#define TEST_ASSERT_FALSE(condition) \
  TEST_ASSERT_MESSAGE(!(condition), "Expected FALSE Was TRUE")
#define TEST_ASSERT_NULL(pointer) \
  TEST_ASSERT_MESSAGE((pointer) == NULL, "Expected NULL")
#define TEST_ASSERT_NOT_NULL(pointer) \
  TEST_ASSERT_MESSAGE((pointer) != NULL, "Expected Non-NULL")

/* --- Integers --- */
#define UNITY_TEST_ASSERT_EQUAL_AS(cast, expected, actual, message, style) \
  UnityAssertEqualNumber((UNITY_INT)(cast)(expected),                      \
                         (UNITY_INT)(cast)(actual), (message), __LINE__,   \
                         (style))
#define TEST_ASSERT_EQUAL_INT_MESSAGE(expected, actual, message) \
  UNITY_TEST_ASSERT_EQUAL_AS(long, expected, actual, message, UNITY_DISPLAY_INT)
#define TEST_ASSERT_EQUAL_INT(expected, actual) \
  TEST_ASSERT_EQUAL_INT_MESSAGE(expected, actual, NULL)
#define TEST_ASSERT_EQUAL(expected, actual) \
  TEST_ASSERT_EQUAL_INT(expected, actual)
#define TEST_ASSERT_EQUAL_INT8(expected, actual) \
  UNITY_TEST_ASSERT_EQUAL_AS(int8_t, expected, actual, NULL, UNITY_DISPLAY_INT)
#define TEST_ASSERT_EQUAL_INT16(expected, actual) \
  UNITY_TEST_ASSERT_EQUAL_AS(int16_t, expected, actual, NULL, UNITY_DISPLAY_INT)
#define TEST_ASSERT_EQUAL_INT32(expected, actual) \
  UNITY_TEST_ASSERT_EQUAL_AS(int32_t, expected, actual, NULL, UNITY_DISPLAY_INT)
#define TEST_ASSERT_EQUAL_UINT(expected, actual)                    \
  UNITY_TEST_ASSERT_EQUAL_AS(unsigned long, expected, actual, NULL, \
                             UNITY_DISPLAY_UINT)
#define TEST_ASSERT_EQUAL_UINT8(expected, actual)             \
  UNITY_TEST_ASSERT_EQUAL_AS(uint8_t, expected, actual, NULL, \
                             UNITY_DISPLAY_UINT)
#define TEST_ASSERT_EQUAL_UINT16(expected, actual)             \
  UNITY_TEST_ASSERT_EQUAL_AS(uint16_t, expected, actual, NULL, \
                             UNITY_DISPLAY_UINT)
#define TEST_ASSERT_EQUAL_UINT32(expected, actual)             \
  UNITY_TEST_ASSERT_EQUAL_AS(uint32_t, expected, actual, NULL, \
                             UNITY_DISPLAY_UINT)
#define TEST_ASSERT_EQUAL_size_t(expected, actual) \
  UNITY_TEST_ASSERT_EQUAL_AS(size_t, expected, actual, NULL, UNITY_DISPLAY_UINT)
#define TEST_ASSERT_EQUAL_HEX8(expected, actual) \
  UNITY_TEST_ASSERT_EQUAL_AS(uint8_t, expected, actual, NULL, UNITY_DISPLAY_HEX)
#define TEST_ASSERT_EQUAL_HEX16(expected, actual)              \
  UNITY_TEST_ASSERT_EQUAL_AS(uint16_t, expected, actual, NULL, \
                             UNITY_DISPLAY_HEX)
#define TEST_ASSERT_EQUAL_HEX32(expected, actual)              \
  UNITY_TEST_ASSERT_EQUAL_AS(uint32_t, expected, actual, NULL, \
                             UNITY_DISPLAY_HEX)
#define TEST_ASSERT_NOT_EQUAL(expected, actual)                  \
  UnityAssertCompare((UNITY_INT)(expected), (UNITY_INT)(actual), \
                     UNITY_NOT_EQUAL, NULL, __LINE__)
#define TEST_ASSERT_GREATER_THAN(threshold, actual)               \
  UnityAssertCompare((UNITY_INT)(threshold), (UNITY_INT)(actual), \
                     UNITY_GREATER_THAN, NULL, __LINE__)
#define TEST_ASSERT_LESS_THAN(threshold, actual)                  \
  UnityAssertCompare((UNITY_INT)(threshold), (UNITY_INT)(actual), \
                     UNITY_LESS_THAN, NULL, __LINE__)
#define TEST_ASSERT_GREATER_OR_EQUAL(threshold, actual)           \
  UnityAssertCompare((UNITY_INT)(threshold), (UNITY_INT)(actual), \
                     UNITY_GREATER_OR_EQUAL, NULL, __LINE__)
#define TEST_ASSERT_LESS_OR_EQUAL(threshold, actual)              \
  UnityAssertCompare((UNITY_INT)(threshold), (UNITY_INT)(actual), \
                     UNITY_LESS_OR_EQUAL, NULL, __LINE__)
#define TEST_ASSERT_EQUAL_MESSAGE(expected, actual, message) \
  TEST_ASSERT_EQUAL_INT_MESSAGE(expected, actual, message)
/* Typed comparisons: in Unity these differ only in how values are printed. */
#define TEST_ASSERT_GREATER_THAN_INT(threshold, actual) \
  TEST_ASSERT_GREATER_THAN(threshold, actual)
#define TEST_ASSERT_GREATER_THAN_UINT32(threshold, actual) \
  TEST_ASSERT_GREATER_THAN(threshold, actual)
#define TEST_ASSERT_LESS_THAN_INT(threshold, actual) \
  TEST_ASSERT_LESS_THAN(threshold, actual)
#define TEST_ASSERT_LESS_THAN_UINT32(threshold, actual) \
  TEST_ASSERT_LESS_THAN(threshold, actual)
#define TEST_ASSERT_GREATER_OR_EQUAL_INT(threshold, actual) \
  TEST_ASSERT_GREATER_OR_EQUAL(threshold, actual)
#define TEST_ASSERT_GREATER_OR_EQUAL_UINT32(threshold, actual) \
  TEST_ASSERT_GREATER_OR_EQUAL(threshold, actual)
#define TEST_ASSERT_LESS_OR_EQUAL_INT(threshold, actual) \
  TEST_ASSERT_LESS_OR_EQUAL(threshold, actual)
#define TEST_ASSERT_LESS_OR_EQUAL_UINT32(threshold, actual) \
  TEST_ASSERT_LESS_OR_EQUAL(threshold, actual)

/* --- Arrays and memory --- */
#define TEST_ASSERT_EQUAL_INT8_ARRAY(expected, actual, count)               \
  UnityAssertEqualInt8Array((const int8_t*)(expected),                      \
                            (const int8_t*)(actual), (size_t)(count), NULL, \
                            __LINE__)
#define TEST_ASSERT_EQUAL_UINT8_ARRAY(expected, actual, count)                \
  UnityAssertEqualUint8Array((const uint8_t*)(expected),                      \
                             (const uint8_t*)(actual), (size_t)(count), NULL, \
                             __LINE__)
#define TEST_ASSERT_EQUAL_INT_ARRAY(expected, actual, count)             \
  UnityAssertEqualIntArray((const int*)(expected), (const int*)(actual), \
                           (size_t)(count), NULL, __LINE__)
#define TEST_ASSERT_EQUAL_MEMORY(expected, actual, bytes) \
  UnityAssertEqualMemory((expected), (actual), (size_t)(bytes), NULL, __LINE__)

/* --- Floats and strings --- */
#define TEST_ASSERT_FLOAT_WITHIN(delta, expected, actual)                     \
  UnityAssertFloatsWithin((float)(delta), (float)(expected), (float)(actual), \
                          NULL, __LINE__)
#define TEST_ASSERT_EQUAL_FLOAT(expected, actual)                        \
  UnityAssertFloatsWithin((float)(expected)*0.00001f, (float)(expected), \
                          (float)(actual), NULL, __LINE__)
#define TEST_ASSERT_EQUAL_STRING_MESSAGE(expected, actual, message) \
  UnityAssertEqualString((expected), (actual), (message), __LINE__)
#define TEST_ASSERT_EQUAL_STRING(expected, actual) \
  TEST_ASSERT_EQUAL_STRING_MESSAGE(expected, actual, NULL)

#endif /* UNITY_LITE_UNITY_H_ */
