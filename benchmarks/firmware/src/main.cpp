// SPDX-License-Identifier: Apache-2.0
// Benchmark firmware for the emulated Cortex-M7: runs the generated model on
// every packed test image between insn_region_start()/insn_region_stop() (one
// exact instruction count per inference), checks each output against the host
// TFLM golden output, then runs image 0 once more with a profiler whose
// BeginEvent and EndEvent call insn_mark(), so the host pairs marks 2k/2k+1
// with "op k" lines. The counted inferences run on an interpreter without a
// profiler, so the per-inference counts carry no profiling overhead.
//
// With runtime = aot (TINYML_RUNTIME_AOT) the compiled model's entry point is
// counted instead, and the traced run marks the end of every op through the
// TINYML_AOT_TRACE hook (include/tinyml_bench_trace.h): op k is the difference
// of marks k and k+1, and its tag is the model's op index.
//
// Result lines (parsed by benchmarks/bench.py):
//   TINYML bench kernels=<cmsis_nn|reference|aot> arena_used=N arena_size=N
//   macs=N
//   TINYML output image=I match=0|1 v0 v1 ...
//   TINYML op index=K tag=NAME
//   TINYML done images=N mismatches=M
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "tinyml/image_input.h"
#include "tinyml_insn_markers.h"
#include "tinyml_model.h"

namespace gen = tinyml::generated;

#if defined(TINYML_RUNTIME_AOT)

#include "tinyml_bench_trace.h"

volatile int tinyml_bench_tracing = 0;

namespace {

constexpr int kMaxOps = 256;
int g_op_tags[kMaxOps];
int g_op_count = 0;

constexpr size_t AlignUp(size_t n) { return (n + 15) / 16 * 16; }

alignas(16) uint8_t g_arena[gen::kTensorArenaSize];
int8_t* const g_input =
    reinterpret_cast<int8_t*>(g_arena + AlignUp(gen::kModel.aot_scratch_size));
int8_t* const g_output = g_input + AlignUp(gen::kImageSize);

bool SetInput(int image) {
  const uint8_t* packed =
      gen::kImageData + static_cast<size_t>(image) * gen::kImageBytes;
  const tinyml::ImageSpec spec = {gen::kImageWidth, gen::kImageHeight,
                                  gen::kImageChannels, gen::kImageFormat};
  return tinyml::QuantizeImage(packed, spec, gen::kNumChannels,
                               gen::kInputQuantLut, g_input, gen::kImageSize);
}

int Fail(const char* what) {
  printf("TINYML fail %s\n", what);
  return 1;
}

}  // namespace

extern "C" void tinyml_bench_trace(int op) {
  if (g_op_count < kMaxOps) g_op_tags[g_op_count] = op;
  ++g_op_count;
  insn_mark();
}

int main() {
  const tinyml::AotInvokeFn invoke = gen::kModel.aot_invoke;
  if (invoke == nullptr) return Fail("no compiled model");
  printf("TINYML bench kernels=aot arena_used=%u arena_size=%u macs=%d\n",
         static_cast<unsigned>(sizeof(g_arena)),
         static_cast<unsigned>(sizeof(g_arena)), gen::kModelMacs);
  int mismatches = 0;
  for (int i = 0; i < gen::kImageCount; ++i) {
    if (!SetInput(i)) return Fail("input");
    insn_region_start();
    const int status = invoke(g_input, g_output, g_arena);
    insn_region_stop();
    if (status != 0) return Fail("invoke");
    const bool match =
        std::memcmp(g_output, gen::kGoldenOutputs[i], gen::kCategoryCount) == 0;
    mismatches += match ? 0 : 1;
    printf("TINYML output image=%d match=%d", i, match ? 1 : 0);
    for (int k = 0; k < gen::kCategoryCount; ++k) printf(" %d", g_output[k]);
    printf("\n");
  }
  if (!SetInput(0)) return Fail("input");
  tinyml_bench_tracing = 1;
  insn_mark();
  if (invoke(g_input, g_output, g_arena) != 0) return Fail("invoke");
  tinyml_bench_tracing = 0;
  for (int k = 0; k < g_op_count && k < kMaxOps; ++k) {
    printf("TINYML op index=%d tag=%d\n", k, g_op_tags[k]);
  }
  printf("TINYML done images=%d mismatches=%d\n", gen::kImageCount, mismatches);
  return 0;
}

#else  // TFLM

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_profiler_interface.h"
#include "tensorflow/lite/schema/schema_generated.h"

namespace {

#if defined(CMSIS_NN)
constexpr const char* kKernels = "cmsis_nn";
#else
constexpr const char* kKernels = "reference";
#endif

constexpr int kMaxEvents = 128;

// Calls insn_mark() at the start and end of every operator and keeps the tags.
class MarkingProfiler : public tflite::MicroProfilerInterface {
 public:
  uint32_t BeginEvent(const char* tag) override {
    if (count_ < kMaxEvents) tags_[count_] = tag;
    insn_mark();
    return static_cast<uint32_t>(count_++);
  }
  void EndEvent(uint32_t /*event_handle*/) override { insn_mark(); }

  void Print() const {
    for (int i = 0; i < count_ && i < kMaxEvents; ++i) {
      printf("TINYML op index=%d tag=%s\n", i,
             tags_[i] != nullptr ? tags_[i] : "?");
    }
  }

 private:
  const char* tags_[kMaxEvents] = {};
  int count_ = 0;
};

alignas(16) uint8_t g_arena[gen::kTensorArenaSize];
MarkingProfiler g_profiler;

bool SetInput(tflite::MicroInterpreter& interpreter, int image) {
  TfLiteTensor* input = interpreter.input(0);
  const uint8_t* packed =
      gen::kImageData + static_cast<size_t>(image) * gen::kImageBytes;
  const tinyml::ImageSpec spec = {gen::kImageWidth, gen::kImageHeight,
                                  gen::kImageChannels, gen::kImageFormat};
  if (input->type != kTfLiteInt8) return false;
  return tinyml::QuantizeImage(packed, spec, gen::kNumChannels,
                               gen::kInputQuantLut, input->data.int8,
                               input->bytes);
}

int Fail(const char* what) {
  printf("TINYML fail %s\n", what);
  return 1;
}

}  // namespace

int main() {
  const tflite::Model* model = tflite::GetModel(gen::kModel.model_data);
  if (model->version() != TFLITE_SCHEMA_VERSION) return Fail("schema version");
  const tflite::MicroOpResolver& resolver = gen::kModel.op_resolver();

  int mismatches = 0;
  {
    tflite::MicroInterpreter interpreter(model, resolver, g_arena,
                                         sizeof(g_arena));
    if (interpreter.AllocateTensors() != kTfLiteOk)
      return Fail("AllocateTensors");
    printf("TINYML bench kernels=%s arena_used=%u arena_size=%u macs=%d\n",
           kKernels, static_cast<unsigned>(interpreter.arena_used_bytes()),
           static_cast<unsigned>(sizeof(g_arena)), gen::kModelMacs);
    for (int i = 0; i < gen::kImageCount; ++i) {
      if (!SetInput(interpreter, i)) return Fail("input");
      insn_region_start();
      const TfLiteStatus status = interpreter.Invoke();
      insn_region_stop();
      if (status != kTfLiteOk) return Fail("Invoke");
      const TfLiteTensor* output = interpreter.output(0);
      const bool match = std::memcmp(output->data.int8, gen::kGoldenOutputs[i],
                                     gen::kCategoryCount) == 0;
      mismatches += match ? 0 : 1;
      printf("TINYML output image=%d match=%d", i, match ? 1 : 0);
      for (int k = 0; k < gen::kCategoryCount; ++k)
        printf(" %d", output->data.int8[k]);
      printf("\n");
    }
  }
  {
    // Same arena, new interpreter: only this one reports operator events.
    tflite::MicroInterpreter interpreter(model, resolver, g_arena,
                                         sizeof(g_arena), nullptr, &g_profiler);
    if (interpreter.AllocateTensors() != kTfLiteOk)
      return Fail("AllocateTensors");
    if (!SetInput(interpreter, 0)) return Fail("input");
    if (interpreter.Invoke() != kTfLiteOk) return Fail("Invoke");
    g_profiler.Print();
  }
  printf("TINYML done images=%d mismatches=%d\n", gen::kImageCount, mismatches);
  return 0;
}

#endif  // TINYML_RUNTIME_AOT
