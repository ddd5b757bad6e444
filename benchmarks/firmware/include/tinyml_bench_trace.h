/* SPDX-License-Identifier: Apache-2.0
 * Per-op instruction marks for a compiled (AOT) model: force-included into
 * every compile of the benchmark's `aot` env, so the generated model's
 * TINYML_AOT_TRACE hook calls tinyml_bench_trace() after each op, but only in
 * the traced run (the counted runs pay one load and branch per op).
 */
#ifndef TINYML_BENCH_TRACE_H_
#define TINYML_BENCH_TRACE_H_

#ifdef __cplusplus
extern "C" {
#endif

extern volatile int tinyml_bench_tracing;
void tinyml_bench_trace(int op);

#ifdef __cplusplus
}
#endif

#define TINYML_AOT_TRACE(op, data, bytes) \
  do {                                    \
    if (tinyml_bench_tracing) {           \
      tinyml_bench_trace(op);             \
    }                                     \
  } while (0)

#endif /* TINYML_BENCH_TRACE_H_ */
