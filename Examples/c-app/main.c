/* Runs a webnnc-generated library through its C ABI (docs/abi.md): prints its description,
 * fills the inputs with a deterministic pattern, runs once serially and once with a tiny
 * pthread-based parallel_for, checks that both runs give identical bytes and prints a checksum
 * and the first values of every output. Exits with 1 on any error.
 *
 * Build next to libmodel.so and libmodel.h (see README.md):
 *   cc -O2 -pthread path/to/Examples/c-app/main.c -I. -L. -lmodel -Wl,-rpath,'$ORIGIN' -o app
 * The model's prefix is conv_relu; pass -DMODEL_PREFIX=other for another one.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libmodel.h"

#ifndef MODEL_PREFIX
#define MODEL_PREFIX conv_relu
#endif
#define JOIN_(prefix, name) prefix##_##name
#define JOIN(prefix, name) JOIN_(prefix, name)
#define MODEL(name) JOIN(MODEL_PREFIX, name)

enum { THREADS = 4, SHOWN_VALUES = 4, SCRATCH_ALIGNMENT = 64 };

/* ---- A tiny parallel_for: THREADS threads take indices from a shared counter. ---- */

struct parallel_job {
  int64_t count;
  webnnc_task_fn task;
  void *task_context;
  int64_t next_index; /* taken with atomic fetch-add */
};

static void *run_tasks(void *argument) {
  struct parallel_job *job = argument;
  for (;;) {
    int64_t index = __atomic_fetch_add(&job->next_index, 1, __ATOMIC_RELAXED);
    if (index >= job->count) return NULL;
    job->task(job->task_context, index);
  }
}

/* webnnc_parallel_for_fn: starts THREADS - 1 helpers, works along with them, joins them. */
static void parallel_for(void *pool_context, int64_t count, webnnc_task_fn task, void *task_context) {
  (void)pool_context;
  struct parallel_job job = {count, task, task_context, 0};
  pthread_t helpers[THREADS - 1];
  int started = 0;
  while (started < THREADS - 1 && started + 1 < count &&
         pthread_create(&helpers[started], NULL, run_tasks, &job) == 0) {
    started++;
  }
  run_tasks(&job); /* if no helper could start, the calling thread does everything */
  for (int i = 0; i < started; i++) pthread_join(helpers[i], NULL);
}

/* ---- Describing and filling tensors ---- */

static const char *data_type_name(int32_t data_type) {
  static const char *const names[] = {"float32", "float16", "int32", "uint32",
                                      "int64",   "uint64",  "int8",  "uint8"};
  return data_type >= 0 && data_type <= WEBNNC_UINT8 ? names[data_type] : "unknown";
}

static int64_t element_size(int32_t data_type) {
  switch (data_type) {
    case WEBNNC_FLOAT16: return 2;
    case WEBNNC_INT64: case WEBNNC_UINT64: return 8;
    case WEBNNC_INT8: case WEBNNC_UINT8: return 1;
    default: return 4;
  }
}

static void print_info(const char *kind, const webnnc_tensor_info *info) {
  printf("  %-6s %s: %s[", kind, info->name, data_type_name(info->data_type));
  for (int32_t d = 0; d < info->rank; d++) printf(d ? ", %lld" : "%lld", (long long)info->shape[d]);
  printf("] (%lld bytes)\n", (long long)info->byte_size);
}

/* Element i of a deterministic pattern: small values of both signs, exact in every type. */
static double pattern(int64_t i) { return (double)((i * 37) % 17 - 8) / 8.0; }

static void fill(const webnnc_tensor_info *info, void *data) {
  int64_t count = info->byte_size / element_size(info->data_type);
  for (int64_t i = 0; i < count; i++) {
    double value = pattern(i);
    switch (info->data_type) {
      case WEBNNC_FLOAT32: ((float *)data)[i] = (float)value; break;
      case WEBNNC_FLOAT16: ((uint16_t *)data)[i] = value == 0 ? 0 : 0x3C00; break; /* 0.0 or 1.0 */
      case WEBNNC_INT32: ((int32_t *)data)[i] = (int32_t)(value * 8); break;
      case WEBNNC_UINT32: ((uint32_t *)data)[i] = (uint32_t)(value * 8 + 8); break;
      case WEBNNC_INT64: ((int64_t *)data)[i] = (int64_t)(value * 8); break;
      case WEBNNC_UINT64: ((uint64_t *)data)[i] = (uint64_t)(value * 8 + 8); break;
      case WEBNNC_INT8: ((int8_t *)data)[i] = (int8_t)(value * 8); break;
      case WEBNNC_UINT8: ((uint8_t *)data)[i] = (uint8_t)(value * 8 + 8); break;
    }
  }
}

/* Element i as a double (float16 is shown as its raw bits). */
static double element(const webnnc_tensor_info *info, const void *data, int64_t i) {
  switch (info->data_type) {
    case WEBNNC_FLOAT32: return ((const float *)data)[i];
    case WEBNNC_FLOAT16: return ((const uint16_t *)data)[i];
    case WEBNNC_INT32: return ((const int32_t *)data)[i];
    case WEBNNC_UINT32: return ((const uint32_t *)data)[i];
    case WEBNNC_INT64: return (double)((const int64_t *)data)[i];
    case WEBNNC_UINT64: return (double)((const uint64_t *)data)[i];
    case WEBNNC_INT8: return ((const int8_t *)data)[i];
    default: return ((const uint8_t *)data)[i];
  }
}

/* FNV-1a over the bytes: equal checksums on two machines mean equal outputs. */
static uint64_t checksum(const void *data, int64_t size) {
  uint64_t hash = 1469598103934665603ull;
  for (int64_t i = 0; i < size; i++) hash = (hash ^ ((const uint8_t *)data)[i]) * 1099511628211ull;
  return hash;
}

/* Allocates one buffer per tensor (at least 1 byte, so that none is NULL). */
static void **allocate_buffers(const webnnc_tensor_info *(*info)(int32_t), int32_t count) {
  void **buffers = calloc((size_t)count + 1, sizeof(void *));
  for (int32_t i = 0; buffers && i < count; i++) {
    buffers[i] = malloc((size_t)info(i)->byte_size + 1);
    if (!buffers[i]) return NULL;
  }
  return buffers;
}

static int fail(const char *what, int32_t status) {
  fprintf(stderr, "error: %s (status %d)\n", what, status);
  return 1;
}

int main(void) {
  if (MODEL(abi_version)() != WEBNNC_ABI_VERSION) return fail("library built for another ABI version", MODEL(abi_version)());
  if (MODEL(check_cpu)() != WEBNNC_OK) return fail("this CPU lacks features the library needs", WEBNNC_ERROR_UNSUPPORTED_CPU);

  int32_t input_count = MODEL(num_inputs)(), output_count = MODEL(num_outputs)();
  int64_t scratch_size = MODEL(scratch_size)();
  printf("model %s, compiled by %s\n  target %s\n", MODEL(model_name)(), MODEL(compiler_version)(), MODEL(cpu_features)());
  for (int32_t i = 0; i < input_count; i++) print_info("input", MODEL(input_info)(i));
  for (int32_t i = 0; i < output_count; i++) print_info("output", MODEL(output_info)(i));
  printf("  scratch %lld bytes\n", (long long)scratch_size);

  void **inputs = allocate_buffers(MODEL(input_info), input_count);
  void **serial_outputs = allocate_buffers(MODEL(output_info), output_count);
  void **parallel_outputs = allocate_buffers(MODEL(output_info), output_count);
  /* aligned_alloc needs a multiple of the alignment; allocate at least one block. */
  size_t scratch_bytes = ((size_t)scratch_size + SCRATCH_ALIGNMENT) / SCRATCH_ALIGNMENT * SCRATCH_ALIGNMENT;
  void *scratch = aligned_alloc(SCRATCH_ALIGNMENT, scratch_bytes);
  if (!inputs || !serial_outputs || !parallel_outputs || !scratch) return fail("out of memory", 0);
  for (int32_t i = 0; i < input_count; i++) fill(MODEL(input_info)(i), inputs[i]);

  int32_t status = MODEL(run)((const void *const *)inputs, serial_outputs, scratch, NULL, NULL);
  if (status != WEBNNC_OK) return fail("serial run failed", status);
  status = MODEL(run)((const void *const *)inputs, parallel_outputs, scratch, parallel_for, NULL);
  if (status != WEBNNC_OK) return fail("parallel run failed", status);

  int identical = 1;
  for (int32_t i = 0; i < output_count; i++) {
    const webnnc_tensor_info *info = MODEL(output_info)(i);
    int same = memcmp(serial_outputs[i], parallel_outputs[i], (size_t)info->byte_size) == 0;
    identical &= same;
    int64_t count = info->byte_size / element_size(info->data_type);
    double sum = 0;
    for (int64_t e = 0; e < count; e++) sum += element(info, serial_outputs[i], e);
    printf("%s: checksum %016llx, sum %.6g, first values", info->name,
           (unsigned long long)checksum(serial_outputs[i], info->byte_size), sum);
    for (int64_t e = 0; e < count && e < SHOWN_VALUES; e++) printf(" %.6g", element(info, serial_outputs[i], e));
    printf("%s\n", same ? "" : "  <- serial and parallel runs differ");
  }
  if (!identical) return fail("serial and parallel outputs differ", 0);
  printf("serial and parallel (%d threads) runs are bit-identical\n", THREADS);

  for (int32_t i = 0; i < input_count; i++) free(inputs[i]);
  for (int32_t i = 0; i < output_count; i++) {
    free(serial_outputs[i]);
    free(parallel_outputs[i]);
  }
  free(inputs);
  free(serial_outputs);
  free(parallel_outputs);
  free(scratch);
  return 0;
}
