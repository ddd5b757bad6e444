/* SPDX-License-Identifier: Apache-2.0 */
/* unity-lite: test runner and assertions printing Unity-format lines. */
#include "unity.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

static struct {
  const char* file;
  const char* current_test;
  unsigned tests;
  unsigned failures;
  unsigned ignored;
  int current_failed;
  int current_ignored;
  jmp_buf abort_frame;
} unity;

/* --- Output --- */

static void PrintLocation(int line) {
  printf("%s:%d:%s:", unity.file, line, unity.current_test);
}

/* Prints a float with up to 6 decimals without printf("%f"), which
 * newlib-nano lacks unless linked with -u _printf_float. */
static void PrintFloat(float value) {
  if (value != value) {
    printf("nan");
    return;
  }
  if (value < 0.0f) {
    putchar('-');
    value = -value;
  }
  if (value > 4.0e9f) {
    printf("inf-or-large");
    return;
  }
  unsigned long whole = (unsigned long)value;
  unsigned long frac =
      (unsigned long)((value - (float)whole) * 1000000.0f + 0.5f);
  if (frac >= 1000000ul) {
    whole += 1;
    frac -= 1000000ul;
  }
  printf("%lu", whole);
  if (frac != 0) {
    char digits[24];
    snprintf(digits, sizeof(digits), "%06lu", frac);
    size_t n = strlen(digits);
    while (n > 0 && digits[n - 1] == '0') digits[--n] = '\0';
    printf(".%s", digits);
  }
}

static void PrintUserMessage(const char* message) {
  if (message != NULL) printf(" %s", message);
}

/* Ends the current test after a failure line has been started. */
static void FailAndAbort(void) {
  putchar('\n');
  unity.current_failed = 1;
  longjmp(unity.abort_frame, 1);
}

/* --- Runner --- */

void UnityBegin(const char* file) {
  memset(&unity, 0, sizeof(unity));
  unity.file = file;
}

int UnityEnd(void) {
  printf("\n-----------------------\n%u Tests %u Failures %u Ignored\n%s\n",
         unity.tests, unity.failures, unity.ignored,
         unity.failures == 0 ? "OK" : "FAIL");
  fflush(stdout);
  return (int)unity.failures;
}

// Like Unity (>= 2.5 with GCC), a suite may leave out setUp() and tearDown().
__attribute__((weak)) void setUp(void) {}
__attribute__((weak)) void tearDown(void) {}

void UnityDefaultTestRun(UnityTestFunction func, const char* name, int line) {
  unity.current_test = name;
  unity.current_failed = 0;
  unity.current_ignored = 0;
  unity.tests++;
  if (setjmp(unity.abort_frame) == 0) {
    setUp();
    func();
  }
  if (setjmp(unity.abort_frame) == 0) {
    tearDown();
  }
  if (unity.current_failed) {
    unity.failures++;
  } else if (unity.current_ignored) {
    unity.ignored++;
  } else {
    PrintLocation(line);
    printf("PASS\n");
  }
  fflush(stdout);
}

void UnityFail(const char* message, int line) {
  PrintLocation(line);
  printf("FAIL");
  if (message != NULL) printf(": %s", message);
  FailAndAbort();
}

void UnityIgnore(const char* message, int line) {
  PrintLocation(line);
  printf("IGNORE");
  if (message != NULL) printf(": %s", message);
  putchar('\n');
  unity.current_ignored = 1;
  longjmp(unity.abort_frame, 1);
}

void UnityPass(int line) {
  (void)line;
  longjmp(unity.abort_frame, 1);
}

/* --- Assertions --- */

static void PrintNumber(UNITY_INT value, enum UnityDisplayStyle style) {
  switch (style) {
    case UNITY_DISPLAY_UINT:
      printf("%lu", (UNITY_UINT)value);
      break;
    case UNITY_DISPLAY_HEX:
      printf("0x%08lX", (UNITY_UINT)value & 0xFFFFFFFFul);
      break;
    default:
      printf("%ld", value);
      break;
  }
}

void UnityAssertEqualNumber(UNITY_INT expected, UNITY_INT actual,
                            const char* message, int line,
                            enum UnityDisplayStyle style) {
  if (expected == actual) return;
  PrintLocation(line);
  printf("FAIL: Expected ");
  PrintNumber(expected, style);
  printf(" Was ");
  PrintNumber(actual, style);
  PrintUserMessage(message);
  FailAndAbort();
}

void UnityAssertCompare(UNITY_INT threshold, UNITY_INT actual,
                        enum UnityComparison op, const char* message,
                        int line) {
  int ok = 0;
  const char* text = "";
  switch (op) {
    case UNITY_GREATER_THAN:
      ok = actual > threshold;
      text = "greater than";
      break;
    case UNITY_LESS_THAN:
      ok = actual < threshold;
      text = "less than";
      break;
    case UNITY_GREATER_OR_EQUAL:
      ok = actual >= threshold;
      text = "greater or equal to";
      break;
    case UNITY_LESS_OR_EQUAL:
      ok = actual <= threshold;
      text = "less or equal to";
      break;
    case UNITY_NOT_EQUAL:
      ok = actual != threshold;
      text = "not equal to";
      break;
  }
  if (ok) return;
  PrintLocation(line);
  printf("FAIL: Expected %s %ld Was %ld", text, threshold, actual);
  PrintUserMessage(message);
  FailAndAbort();
}

static void FailArrayElement(size_t index, long expected, long actual,
                             const char* message, int line) {
  PrintLocation(line);
  printf("FAIL: Element %lu Expected %ld Was %ld", (unsigned long)index,
         expected, actual);
  PrintUserMessage(message);
  FailAndAbort();
}

static void CheckArrayPointers(const void* expected, const void* actual,
                               const char* message, int line) {
  if (expected != NULL && actual != NULL) return;
  PrintLocation(line);
  printf("FAIL: %s pointer is NULL", expected == NULL ? "Expected" : "Actual");
  PrintUserMessage(message);
  FailAndAbort();
}

void UnityAssertEqualInt8Array(const int8_t* expected, const int8_t* actual,
                               size_t count, const char* message, int line) {
  CheckArrayPointers(expected, actual, message, line);
  for (size_t i = 0; i < count; ++i) {
    if (expected[i] != actual[i]) {
      FailArrayElement(i, expected[i], actual[i], message, line);
    }
  }
}

void UnityAssertEqualUint8Array(const uint8_t* expected, const uint8_t* actual,
                                size_t count, const char* message, int line) {
  CheckArrayPointers(expected, actual, message, line);
  for (size_t i = 0; i < count; ++i) {
    if (expected[i] != actual[i]) {
      FailArrayElement(i, expected[i], actual[i], message, line);
    }
  }
}

void UnityAssertEqualIntArray(const int* expected, const int* actual,
                              size_t count, const char* message, int line) {
  CheckArrayPointers(expected, actual, message, line);
  for (size_t i = 0; i < count; ++i) {
    if (expected[i] != actual[i]) {
      FailArrayElement(i, expected[i], actual[i], message, line);
    }
  }
}

void UnityAssertEqualMemory(const void* expected, const void* actual,
                            size_t bytes, const char* message, int line) {
  CheckArrayPointers(expected, actual, message, line);
  const unsigned char* e = (const unsigned char*)expected;
  const unsigned char* a = (const unsigned char*)actual;
  for (size_t i = 0; i < bytes; ++i) {
    if (e[i] != a[i]) {
      PrintLocation(line);
      printf("FAIL: Memory Mismatch. Byte %lu Expected 0x%02X Was 0x%02X",
             (unsigned long)i, e[i], a[i]);
      PrintUserMessage(message);
      FailAndAbort();
    }
  }
}

void UnityAssertFloatsWithin(float delta, float expected, float actual,
                             const char* message, int line) {
  if (delta < 0.0f) delta = -delta;
  float diff = actual - expected;
  if (diff < 0.0f) diff = -diff;
  /* NaN never compares within any delta. */
  if (diff <= delta) return;
  PrintLocation(line);
  printf("FAIL: Expected ");
  PrintFloat(expected);
  printf(" Was ");
  PrintFloat(actual);
  printf(" (delta ");
  PrintFloat(delta);
  printf(")");
  PrintUserMessage(message);
  FailAndAbort();
}

void UnityAssertEqualString(const char* expected, const char* actual,
                            const char* message, int line) {
  if (expected != NULL && actual != NULL && strcmp(expected, actual) == 0)
    return;
  if (expected == NULL && actual == NULL) return;
  PrintLocation(line);
  printf("FAIL: Expected '%s' Was '%s'", expected != NULL ? expected : "(null)",
         actual != NULL ? actual : "(null)");
  PrintUserMessage(message);
  FailAndAbort();
}
