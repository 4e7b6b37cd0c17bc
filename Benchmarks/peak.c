// The peak throughput of one core on the dot products webnnc's kernels use, for the benchmark
// report's "fraction of peak": twelve independent chains of one instruction (sequence) in a loop,
// so that only throughput limits them, timed in CPU time (other processes on a loaded machine do
// not count).
//
//   float32: vfmadd231ps (an FMA lane = 2 ops)                         ymm (AVX2 + FMA), zmm (AVX-512F)
//   int8:    vpdpbusd (4 u8 x s8 multiply-adds per int32 lane)         ymm, zmm (AVX512-VNNI)
//            vpmaddubsw + vpmaddwd + vpaddd (AVX2's sequence where it cannot saturate)
//            vpmaddwd + vpaddd on 16-bit pairs (AVX2's always-exact sequence)
// An int8 multiply-add counts as 2 ops. A variant runs only where the CPU has its features.
//
//   cc -O2 -o peak Benchmarks/peak.c && ./peak        (gcc or clang)
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define ITERATIONS 20000000L

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static volatile int sink;

// Twelve named accumulators (an array would live in memory), each a chain of STEP(acc).
#define REPEAT12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define KERNEL(name, features, vector, zero, STEP, REDUCE)                    \
    __attribute__((target(features))) static double name(void) {             \
        vector a = zero, b = zero, ones = zero;                               \
        __asm__ volatile("" : "+x"(a), "+x"(b), "+x"(ones));                  \
        (void)ones;                                                           \
        REPEAT12(DECLARE_##vector)                                            \
        double start = cpu_seconds();                                         \
        for (long i = 0; i < ITERATIONS; i++) {                               \
            REPEAT12(STEP)                                                    \
        }                                                                     \
        double elapsed = cpu_seconds() - start;                               \
        REPEAT12(REDUCE)                                                      \
        return elapsed;                                                       \
    }
#define DECLARE___m256(c) __m256 acc##c = _mm256_setzero_ps();
#define DECLARE___m512(c) __m512 acc##c = _mm512_setzero_ps();
#define DECLARE___m256i(c) __m256i acc##c = _mm256_setzero_si256();
#define DECLARE___m512i(c) __m512i acc##c = _mm512_setzero_si512();

// Inline assembly, so that the compiler can neither merge the chains nor hoist anything.
#define FMA_YMM(c) __asm__("vfmadd231ps %1, %2, %0" : "+v"(acc##c) : "v"(a), "v"(b));
#define FMA_ZMM(c) __asm__("vfmadd231ps %1, %2, %0" : "+v"(acc##c) : "v"(a), "v"(b));
#define DPBUSD_YMM(c) __asm__("vpdpbusd %1, %2, %0" : "+v"(acc##c) : "v"(b), "v"(a));
#define DPBUSD_ZMM(c) __asm__("vpdpbusd %1, %2, %0" : "+v"(acc##c) : "v"(b), "v"(a));
#define MADDUBS_YMM(c) { __m256i t; __asm__("vpmaddubsw %2, %3, %1\n\tvpmaddwd %4, %1, %1\n\tvpaddd %1, %0, %0" \
                                             : "+x"(acc##c), "=&x"(t) : "x"(b), "x"(a), "x"(ones)); }
#define PAIRS16_YMM(c) { __m256i t; __asm__("vpmaddwd %2, %3, %1\n\tvpaddd %1, %0, %0" \
                                             : "+x"(acc##c), "=&x"(t) : "x"(b), "x"(a)); }
#define SINK_PS256(c) sink += (int)_mm256_cvtss_f32(acc##c);
#define SINK_PS512(c) sink += (int)_mm512_reduce_add_ps(acc##c);
#define SINK_EPI256(c) sink += _mm256_extract_epi32(acc##c, 0);
#define SINK_EPI512(c) sink += _mm512_reduce_add_epi32(acc##c);

KERNEL(fma_ymm, "avx2,fma", __m256, _mm256_setzero_ps(), FMA_YMM, SINK_PS256)
KERNEL(fma_zmm, "avx512f", __m512, _mm512_setzero_ps(), FMA_ZMM, SINK_PS512)
KERNEL(dpbusd_ymm, "avx512vl,avx512vnni", __m256i, _mm256_setzero_si256(), DPBUSD_YMM, SINK_EPI256)
KERNEL(dpbusd_zmm, "avx512f,avx512vnni", __m512i, _mm512_setzero_si512(), DPBUSD_ZMM, SINK_EPI512)
KERNEL(maddubs_ymm, "avx2", __m256i, _mm256_setzero_si256(), MADDUBS_YMM, SINK_EPI256)
KERNEL(pairs16_ymm, "avx2", __m256i, _mm256_setzero_si256(), PAIRS16_YMM, SINK_EPI256)

int main(void) {
    __builtin_cpu_init();
    int fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = __builtin_cpu_supports("avx512f");
    int vnni = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl");
    struct { const char *name; int supported; double (*run)(void); double opsPerStep; } variants[] = {
        {"float32 FMA ymm (vfmadd231ps)", fma, fma_ymm, 16},
        {"float32 FMA zmm (vfmadd231ps)", avx512, fma_zmm, 32},
        {"int8 vpdpbusd ymm", vnni, dpbusd_ymm, 64},
        {"int8 vpdpbusd zmm", vnni, dpbusd_zmm, 128},
        {"int8 vpmaddubsw+vpmaddwd+vpaddd ymm", fma, maddubs_ymm, 64},
        {"int16 pairs vpmaddwd+vpaddd ymm", fma, pairs16_ymm, 32},
    };
    for (unsigned v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        if (!variants[v].supported) {
            printf("%-38s not supported by this CPU\n", variants[v].name);
            continue;
        }
        double elapsed = variants[v].run();
        printf("%-38s %7.1f Gop/s per core\n", variants[v].name, ITERATIONS * 12 * variants[v].opsPerStep / elapsed * 1e-9);
    }
    return 0;
}
