#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `webnnc_task_fn`.
typealias TaskFunction = @convention(c) (UnsafeMutableRawPointer?, Int64) -> Void
/// `webnnc_parallel_for_fn`.
typealias ParallelForFunction = @convention(c) (UnsafeMutableRawPointer?, Int64, TaskFunction?, UnsafeMutableRawPointer?) -> Void
/// `P_run_profiled`.
typealias ProfiledRunFunction = @convention(c) (UnsafePointer<UnsafeRawPointer?>?, UnsafePointer<UnsafeMutableRawPointer?>?,
                                                UnsafeMutableRawPointer?, ParallelForFunction?, UnsafeMutableRawPointer?,
                                                UnsafeMutablePointer<UInt64>?) -> Int32

/// A `dlopen`ed generated library and its functions for one prefix (see docs/abi.md).
final class ModelLibrary: @unchecked Sendable {  // immutable after init; the ABI allows concurrent P_run
    let path: String
    let prefix: String
    private let handle: UnsafeMutableRawPointer

    let abiVersion: @convention(c) () -> Int32
    let modelName: @convention(c) () -> UnsafePointer<CChar>?
    let compilerVersion: @convention(c) () -> UnsafePointer<CChar>?
    let cpuFeatures: @convention(c) () -> UnsafePointer<CChar>?
    let inputCount: @convention(c) () -> Int32
    let outputCount: @convention(c) () -> Int32
    let inputInfo: @convention(c) (Int32) -> UnsafeRawPointer?
    let outputInfo: @convention(c) (Int32) -> UnsafeRawPointer?
    let scratchSize: @convention(c) () -> Int64
    let describe: @convention(c) () -> UnsafePointer<CChar>?
    let checkCPU: @convention(c) () -> Int32
    /// `P_variant` (nil for libraries made before variants existed).
    let variant: (@convention(c) () -> Int32)?
    let run: @convention(c) (UnsafePointer<UnsafeRawPointer?>?, UnsafePointer<UnsafeMutableRawPointer?>?,
                             UnsafeMutableRawPointer?, ParallelForFunction?, UnsafeMutableRawPointer?) -> Int32
    /// `P_run_profiled`: `P_run` plus an array that gets each step's time-stamp-counter ticks
    /// added (nil for libraries without it).
    let runProfiled: ProfiledRunFunction?

    /// Opens the library at `path` and resolves the functions of `prefix`, or of the one prefix
    /// its dynamic symbol table has when `prefix` is nil. Checks the ABI version first.
    init(path: String, prefix: String?) throws {
        // A path without a slash would make dlopen search the library path instead of the directory.
        let filePath = path.contains("/") ? path : "./" + path
        guard let handle = dlopen(filePath, RTLD_NOW | RTLD_LOCAL) else {
            throw ModelError.cannotLoad(path: path, reason: dlerror().map { String(cString: $0) } ?? "unknown error")
        }
        self.path = path
        self.handle = handle
        do {
            let prefix = try prefix ?? ModelLibrary.discoverPrefix(path: filePath, reportedPath: path)
            self.prefix = prefix
            func symbol<Function>(_ suffix: String) throws -> Function {
                let name = "\(prefix)_\(suffix)"
                guard let address = dlsym(handle, name) else { throw ModelError.missingSymbol(path: path, symbol: name) }
                return unsafeBitCast(address, to: Function.self)
            }
            abiVersion = try symbol("abi_version")
            let found = abiVersion()
            guard found == Model.abiVersion else {
                throw ModelError.abiVersionMismatch(path: path, expected: Model.abiVersion, found: found)
            }
            modelName = try symbol("model_name")
            compilerVersion = try symbol("compiler_version")
            cpuFeatures = try symbol("cpu_features")
            inputCount = try symbol("num_inputs")
            outputCount = try symbol("num_outputs")
            inputInfo = try symbol("input_info")
            outputInfo = try symbol("output_info")
            scratchSize = try symbol("scratch_size")
            describe = try symbol("describe")
            checkCPU = try symbol("check_cpu")
            run = try symbol("run")
            variant = dlsym(handle, "\(prefix)_variant").map { unsafeBitCast($0, to: (@convention(c) () -> Int32).self) }
            runProfiled = dlsym(handle, "\(prefix)_run_profiled").map { unsafeBitCast($0, to: ProfiledRunFunction.self) }
        } catch {
            dlclose(handle)
            throw error
        }
    }

    deinit { dlclose(handle) }

    /// The prefix P for which the library exports `P_describe`, `P_run` and `P_abi_version`.
    private static func discoverPrefix(path: String, reportedPath: String) throws -> String {
        let names = Set(try ELFDynamicSymbols.exportedFunctionNames(inFileAt: path))
        let prefixes = names.filter { $0.hasSuffix("_describe") }
            .map { String($0.dropLast("_describe".count)) }
            .filter { names.contains($0 + "_run") && names.contains($0 + "_abi_version") }
            .sorted()
        guard let prefix = prefixes.first else { throw ModelError.noModel(path: reportedPath) }
        guard prefixes.count == 1 else { throw ModelError.ambiguousPrefix(path: reportedPath, prefixes: prefixes) }
        return prefix
    }

    /// The `webnnc_tensor_info` of input `index` (or output, with `output` true), checked.
    func tensorInfo(output: Bool, index: Int32) throws -> TensorInfo {
        let kind = output ? "output" : "input"
        let fail = { (detail: String) in ModelError.badDescription(path: self.path, detail: "\(kind) \(index): \(detail)") }
        // struct { const char *name; int32_t data_type; int32_t rank; const int64_t *shape; int64_t byte_size; }
        guard let info = output ? outputInfo(index) : inputInfo(index) else {
            throw fail("\(prefix)_\(kind)_info returned NULL")
        }
        guard let name = info.load(fromByteOffset: 0, as: UnsafePointer<CChar>?.self) else { throw fail("NULL name") }
        let code = info.load(fromByteOffset: 8, as: Int32.self)
        guard let dataType = DataType(rawValue: code) else { throw fail("unknown data type code \(code)") }
        let rank = Int(info.load(fromByteOffset: 12, as: Int32.self))
        let shapePointer = info.load(fromByteOffset: 16, as: UnsafePointer<Int64>?.self)
        guard rank >= 0, rank == 0 || shapePointer != nil else { throw fail("rank \(rank) with a NULL shape") }
        let shape = (0..<rank).map { Int(shapePointer![$0]) }
        let tensorInfo: TensorInfo
        do {
            tensorInfo = try TensorInfo(name: String(cString: name), dataType: dataType, shape: shape)
        } catch {
            throw fail("\(error)")
        }
        let byteSize = Int(info.load(fromByteOffset: 24, as: Int64.self))
        guard byteSize == tensorInfo.byteSize else {
            throw fail("byte_size \(byteSize), but \(tensorInfo) has \(tensorInfo.byteSize) bytes")
        }
        return tensorInfo
    }
}
