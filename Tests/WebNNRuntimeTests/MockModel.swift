import Foundation

/// Builds shared libraries from a hand-written C "mock model" that implements docs/abi.md:
/// `y = x + bias` with inputs `x: float32[2, 3]`, `bias: float32[]` and output `y: float32[2, 3]`,
/// run as 6 tasks (one per element) that go through 64 bytes of scratch.
///
/// Macros make variants: PREFIX, ABI_VERSION, CPU_STATUS (of P_check_cpu), RUN_STATUS (P_run
/// returns it after checking its arguments), JSON_X_SHAPE (the shape of `x` in P_describe),
/// JSON_PREFIX (the prefix P_describe states; PREFIX's by default).
/// `P_parallel_calls` counts the runs that got a parallel_for callback.
enum MockModel {
    static let source = #"""
        #include <stddef.h>
        #include <stdint.h>
        #include <sched.h>

        #ifndef PREFIX
        #define PREFIX mock_add
        #endif
        #ifndef ABI_VERSION
        #define ABI_VERSION 1
        #endif
        #ifndef CPU_STATUS
        #define CPU_STATUS 0
        #endif
        #ifndef RUN_STATUS
        #define RUN_STATUS 0
        #endif
        #ifndef JSON_X_SHAPE
        #define JSON_X_SHAPE "[2,3]"
        #endif
        #define STRING_(x) #x
        #define STRING(x) STRING_(x)
        #ifndef JSON_PREFIX
        #define JSON_PREFIX STRING(PREFIX)
        #endif
        #define JOIN_(a, b) a##_##b
        #define JOIN(a, b) JOIN_(a, b)
        #define F(name) JOIN(PREFIX, name)

        typedef struct {
          const char *name; int32_t data_type; int32_t rank; const int64_t *shape; int64_t byte_size;
        } webnnc_tensor_info;
        typedef void (*webnnc_task_fn)(void *task_context, int64_t index);
        typedef void (*webnnc_parallel_for_fn)(void *pool_context, int64_t count, webnnc_task_fn task, void *task_context);

        static const int64_t shape_2x3[2] = {2, 3};
        static const webnnc_tensor_info input_infos[2] = {{"x", 0, 2, shape_2x3, 24}, {"bias", 0, 0, NULL, 4}};
        static const webnnc_tensor_info output_infos[1] = {{"y", 0, 2, shape_2x3, 24}};
        int64_t F(parallel_calls) = 0;

        int32_t F(abi_version)(void) { return ABI_VERSION; }
        const char *F(model_name)(void) { return "add_bias"; }
        const char *F(compiler_version)(void) { return "mock 1.0"; }
        const char *F(cpu_features)(void) { return "x86_64-pc-linux-gnu generic +mock"; }
        int32_t F(num_inputs)(void) { return 2; }
        int32_t F(num_outputs)(void) { return 1; }
        const webnnc_tensor_info *F(input_info)(int32_t i) { return i >= 0 && i < 2 ? &input_infos[i] : NULL; }
        const webnnc_tensor_info *F(output_info)(int32_t i) { return i == 0 ? &output_infos[0] : NULL; }
        int64_t F(scratch_size)(void) { return 64; }
        int32_t F(check_cpu)(void) { return CPU_STATUS; }
        const char *F(describe)(void) {
          return "{\"abiVersion\":1,\"name\":\"add_bias\",\"prefix\":\"" JSON_PREFIX "\","
                 "\"compiler\":\"mock 1.0\","
                 "\"target\":{\"triple\":\"x86_64-pc-linux-gnu\",\"cpu\":\"generic\",\"features\":\"+mock\"},"
                 "\"scratchSize\":64,"
                 "\"inputs\":[{\"name\":\"x\",\"dataType\":\"float32\",\"shape\":" JSON_X_SHAPE ",\"byteSize\":24},"
                 "{\"name\":\"bias\",\"dataType\":\"float32\",\"shape\":[],\"byteSize\":4}],"
                 "\"outputs\":[{\"name\":\"y\",\"dataType\":\"float32\",\"shape\":[2,3],\"byteSize\":24}],"
                 "\"steps\":[{\"label\":\"y\",\"kernel\":\"MockAdd\"}]}";
        }

        struct run_state { const float *x; float bias; float *y; float *scratch; };

        static void add_one_element(void *context, int64_t i) {
          struct run_state *state = context;
          state->scratch[i] = state->x[i] + state->bias;
          sched_yield(); /* lets another run overwrite the scratch if it were shared */
          state->y[i] = state->scratch[i];
        }

        int32_t F(run)(const void *const *inputs, void *const *outputs, void *scratch,
                       webnnc_parallel_for_fn parallel_for, void *pool_context) {
          if (!inputs || !outputs || !inputs[0] || !inputs[1] || !outputs[0] || !scratch) return 1;
          if ((uintptr_t)scratch % 64 != 0) return 3;
          if (F(check_cpu)() != 0) return 2;
          if (RUN_STATUS != 0) return RUN_STATUS;
          struct run_state state = {inputs[0], *(const float *)inputs[1], outputs[0], scratch};
          if (parallel_for) {
            __atomic_fetch_add(&F(parallel_calls), 1, __ATOMIC_RELAXED);
            parallel_for(pool_context, 6, add_one_element, &state);
          } else {
            for (int64_t i = 0; i < 6; i++) add_one_element(&state, i);
          }
          return 0;
        }

        /* One step; a profile counts one tick per run. */
        int32_t F(run_profiled)(const void *const *inputs, void *const *outputs, void *scratch,
                                webnnc_parallel_for_fn parallel_for, void *pool_context, uint64_t *step_ticks) {
          int32_t status = F(run)(inputs, outputs, scratch, parallel_for, pool_context);
          if (step_ticks) step_ticks[0] += 1;
          return status;
        }
        """#

    /// A C file exporting functions but no model.
    static let notAModelSource = "int helper_describe(void) { return 0; }\nint helper_compute(int x) { return x; }\n"

    /// Compiles and links a shared library from one object per entry (a C source and its `-D`
    /// defines) into a fresh temporary directory, and returns its path.
    static func build(_ objects: [(source: String, defines: [String])]) throws -> String {
        let directory = processDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var objectPaths: [String] = []
        for (index, object) in objects.enumerated() {
            let sourcePath = directory.appendingPathComponent("model\(index).c").path
            try object.source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
            let objectPath = directory.appendingPathComponent("model\(index).o").path
            try runCompiler(["-c", "-fPIC", "-O1", "-Wall", "-Werror"] + object.defines.map { "-D" + $0 }
                            + [sourcePath, "-o", objectPath])
            objectPaths.append(objectPath)
        }
        let libraryPath = directory.appendingPathComponent("libmock.so").path
        try runCompiler(["-shared"] + objectPaths + ["-o", libraryPath])
        return libraryPath
    }

    /// The mock model with `prefix` and extra `defines`.
    static func build(prefix: String = "mock_add", defines: [String] = []) throws -> String {
        try build([(source, ["PREFIX=\(prefix)"] + defines)])
    }

    /// This test process's folder for libraries; made once, after removing those of processes
    /// that have ended.
    private static let processDirectory: URL = {
        let files = FileManager.default
        let prefix = "webnnc-runtime-tests-"
        for name in (try? files.contentsOfDirectory(atPath: files.temporaryDirectory.path)) ?? []
        where name.hasPrefix(prefix) {
            if let pid = Int32(name.dropFirst(prefix.count)), kill(pid, 0) != 0, errno == ESRCH {
                try? files.removeItem(at: files.temporaryDirectory.appendingPathComponent(name))
            }
        }
        return files.temporaryDirectory.appendingPathComponent(prefix + String(getpid()))
    }()

    private static func runCompiler(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cc"] + arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CompilerFailure(message: message) }
    }

    struct CompilerFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { "cc failed: \(message)" }
    }
}
