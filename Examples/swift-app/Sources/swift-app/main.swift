// Loads a webnnc-generated library, prints its description, runs it on random (or .npy) inputs
// and prints statistics of every output.
//
//   swift run swift-app LIBRARY [--prefix P] [--threads N] [--seed S]
//                               [--input NAME=FILE.npy]... [--save-outputs DIR]
import Foundation
import WebNNRuntime

/// The command line, parsed.
struct Options {
    var libraryPath = ""
    var prefix: String?
    var threads: Int?
    var seed: UInt64 = 0
    var inputFiles: [String: String] = [:]
    var outputDirectory: String?

    static let usage = """
        usage: swift-app LIBRARY [--prefix P] [--threads N] [--seed S] [--input NAME=FILE.npy]... [--save-outputs DIR]
        """

    init(arguments: [String]) throws {
        var remaining = arguments[...]
        func value(of flag: String) throws -> String {
            guard let value = remaining.popFirst() else { throw UsageError(message: "\(flag) needs a value") }
            return value
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "--prefix": prefix = try value(of: argument)
            case "--threads":
                guard let count = Int(try value(of: argument)), count > 0 else {
                    throw UsageError(message: "--threads needs a positive integer")
                }
                threads = count
            case "--seed":
                guard let number = UInt64(try value(of: argument)) else { throw UsageError(message: "--seed needs an integer") }
                seed = number
            case "--input":
                let pair = try value(of: argument).split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2 else { throw UsageError(message: "--input needs NAME=FILE.npy") }
                inputFiles[pair[0]] = pair[1]
            case "--save-outputs": outputDirectory = try value(of: argument)
            case _ where argument.hasPrefix("-"): throw UsageError(message: "unknown option \(argument)")
            default:
                guard libraryPath.isEmpty else { throw UsageError(message: "more than one library given") }
                libraryPath = argument
            }
        }
        guard !libraryPath.isEmpty else { throw UsageError(message: "no library given") }
    }
}

struct UsageError: Error, CustomStringConvertible {
    let message: String
    var description: String { "\(message)\n\(Options.usage)" }
}

/// SplitMix64: a small seeded generator, so that runs are repeatable.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Values in [-1, 1) for floating-point inputs, small integers otherwise.
func randomTensor(_ info: TensorInfo, using generator: inout SeededGenerator) throws -> Tensor {
    let count = info.shape.reduce(1, *)
    func integers<Element: TensorElement & FixedWidthInteger>(_: Element.Type) throws -> Tensor {
        let low: Element = Element.isSigned ? -8 : 0
        return try Tensor((0..<count).map { _ in Element.random(in: low..<8, using: &generator) }, shape: info.shape)
    }
    switch info.dataType {
    case .float32: return try Tensor((0..<count).map { _ in Float.random(in: -1..<1, using: &generator) }, shape: info.shape)
    case .float16: return try Tensor((0..<count).map { _ in Float16.random(in: -1..<1, using: &generator) }, shape: info.shape)
    case .int32: return try integers(Int32.self)
    case .uint32: return try integers(UInt32.self)
    case .int64: return try integers(Int64.self)
    case .uint64: return try integers(UInt64.self)
    case .int8: return try integers(Int8.self)
    case .uint8: return try integers(UInt8.self)
    }
}

/// The elements as doubles, for statistics.
func doubles(_ tensor: Tensor) throws -> [Double] {
    switch tensor.dataType {
    case .float32: try tensor.values(as: Float.self).map(Double.init)
    case .float16: try tensor.values(as: Float16.self).map(Double.init)
    case .int32: try tensor.values(as: Int32.self).map(Double.init)
    case .uint32: try tensor.values(as: UInt32.self).map(Double.init)
    case .int64: try tensor.values(as: Int64.self).map(Double.init)
    case .uint64: try tensor.values(as: UInt64.self).map(Double.init)
    case .int8: try tensor.values(as: Int8.self).map(Double.init)
    case .uint8: try tensor.values(as: UInt8.self).map(Double.init)
    }
}

func main() throws {
    let options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
    let model = try Model(
        path: options.libraryPath, prefix: options.prefix,
        threadPool: options.threads.map { ThreadPool(threads: $0) } ?? .shared)
    print(model)

    var generator = SeededGenerator(state: options.seed)
    var inputs: [String: Tensor] = [:]
    for info in model.inputs {
        inputs[info.name] = try options.inputFiles[info.name].map { try NPY.read(URL(fileURLWithPath: $0)) }
            ?? randomTensor(info, using: &generator)
    }
    let start = Date()
    let outputs = try model.run(inputs: inputs)
    print("ran in \(String(format: "%.3f", Date().timeIntervalSince(start) * 1000)) ms on \(model.threadPool.threads) threads")

    for info in model.outputs {
        guard let output = outputs[info.name] else { continue }
        let values = try doubles(output)
        let mean = values.reduce(0, +) / Double(max(values.count, 1))
        let first = values.prefix(4).map { String(format: "%.6g", $0) }.joined(separator: " ")
        print("\(info): min \(values.min() ?? 0) max \(values.max() ?? 0) mean \(String(format: "%.6g", mean)) first \(first)")
        if let directory = options.outputDirectory {
            let url = URL(fileURLWithPath: directory, isDirectory: true)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try NPY.write(output, to: url.appendingPathComponent("\(info.name).npy"))
        }
    }
}

do {
    try main()
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
