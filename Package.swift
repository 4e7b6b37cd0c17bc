// swift-tools-version:6.0
import Foundation
import PackageDescription

/// The LLVM that CodeGen builds against: `WEBNNC_LLVM_VERSION` if set, otherwise the newest
/// `/usr/lib/llvm-N` that has the LLVM-C headers (Debian's llvm-N-dev packages).
let llvmVersion: String = {
    if let forced = ProcessInfo.processInfo.environment["WEBNNC_LLVM_VERSION"], !forced.isEmpty {
        return forced
    }
    let installed = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib")) ?? [])
        .filter { $0.hasPrefix("llvm-") }
        .compactMap { Int($0.dropFirst("llvm-".count)) }
        .filter { FileManager.default.fileExists(atPath: "/usr/lib/llvm-\($0)/include/llvm-c/Core.h") }
    return String(installed.max() ?? 19)
}()
let llvmRoot = "/usr/lib/llvm-\(llvmVersion)"
let llvmCFlags: [CSetting] = [.unsafeFlags(["-I\(llvmRoot)/include"])]
let llvmSwiftFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-I\(llvmRoot)/include"])]
let llvmLinkFlags: [LinkerSetting] = [.unsafeFlags(["-L\(llvmRoot)/lib", "-lLLVM-\(llvmVersion)"])]

let package = Package(
    name: "webnnc",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "webnnc", targets: ["webnnc"]),
        .library(name: "WebNNRuntime", targets: ["WebNNRuntime"]),
        .library(name: "WebNNCompiler", targets: ["WebNNCompiler"]),
        // The readers alone, for the fuzz targets in Fuzz/.
        .library(name: "WebNNFrontend", targets: ["WebNNFrontend"]),
        .library(name: "WebNNONNX", targets: ["WebNNONNX"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // Diagnostics, data types, tensor data: shared by every stage.
        .target(name: "WebNNBasics"),
        // Typed SSA graph, operator schemas, shape inference, verifier, printer.
        .target(name: "WebNNIR", dependencies: ["WebNNBasics"]),
        // The .webnn text format, weights manifest/binary, conformance JSON graphs.
        .target(name: "WebNNFrontend", dependencies: ["WebNNBasics", "WebNNIR"]),
        // ONNX models (protobuf) to a WebNNIR graph: static shapes, shape folding, op mapping.
        .target(name: "WebNNONNX", dependencies: ["WebNNBasics", "WebNNIR", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // Plain reference interpreter: the test oracle.
        .target(name: "WebNNReference", dependencies: ["WebNNBasics", "WebNNIR"]),
        // Graph-to-graph passes and the pass manager.
        .target(name: "WebNNTransforms", dependencies: ["WebNNBasics", "WebNNIR", "WebNNReference"]),
        // Kernel program + memory plan: what CodeGen turns into machine code.
        .target(name: "WebNNLowering", dependencies: ["WebNNBasics", "WebNNIR"]),
        // LLVM-C, as a system library.
        .systemLibrary(name: "CLLVM", path: "Sources/CLLVM"),
        // LLVM's X86 target parser (C++): the features a CPU name implies.
        .target(
            name: "CLLVMTargetParser",
            cxxSettings: [.unsafeFlags(["-I\(llvmRoot)/include", "-std=c++17", "-fno-rtti", "-fno-exceptions"])],
            linkerSettings: llvmLinkFlags),
        // The only module that touches LLVM.
        .target(
            name: "WebNNCodeGen",
            dependencies: ["WebNNBasics", "WebNNIR", "WebNNLowering", "CLLVM", "CLLVMTargetParser"],
            cSettings: llvmCFlags, swiftSettings: llvmSwiftFlags, linkerSettings: llvmLinkFlags),
        // The pipeline: parse, verify, optimize, lower, generate, link.
        .target(
            name: "WebNNCompiler",
            dependencies: ["WebNNBasics", "WebNNIR", "WebNNFrontend", "WebNNONNX", "WebNNReference",
                           "WebNNTransforms", "WebNNLowering", "WebNNCodeGen", "WebNNRuntime"],
            swiftSettings: llvmSwiftFlags, linkerSettings: llvmLinkFlags),
        // Post-training static quantization: calibration, QDQ graph writing, float/int8 comparison.
        .target(
            name: "WebNNQuantization",
            dependencies: ["WebNNBasics", "WebNNIR", "WebNNReference", "WebNNTransforms", "WebNNCompiler", "WebNNRuntime"],
            swiftSettings: llvmSwiftFlags, linkerSettings: llvmLinkFlags),
        // Loads generated libraries through their C ABI; depends on nothing above.
        .target(name: "WebNNRuntime"),
        .executableTarget(
            name: "webnnc",
            dependencies: ["WebNNBasics", "WebNNIR", "WebNNCompiler", "WebNNQuantization", "WebNNReference", "WebNNRuntime",
                           "WebNNTransforms", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: llvmSwiftFlags, linkerSettings: llvmLinkFlags),

        // Helpers shared by test targets (seeded random graphs); not part of the products.
        .target(name: "WebNNTestSupport", dependencies: ["WebNNBasics", "WebNNIR"], path: "Tests/Support"),

        .testTarget(name: "WebNNIRTests", dependencies: ["WebNNIR"]),
        .testTarget(name: "WebNNFrontendTests", dependencies: ["WebNNFrontend"]),
        .testTarget(name: "WebNNONNXTests", dependencies: ["WebNNONNX", "WebNNIR", "WebNNReference", "WebNNFrontend"]),
        .testTarget(name: "WebNNTransformsTests", dependencies: ["WebNNTransforms", "WebNNReference", "WebNNFrontend", "WebNNTestSupport"],
                    exclude: ["Golden"]),
        .testTarget(name: "WebNNReferenceTests", dependencies: ["WebNNReference", "WebNNFrontend", "WebNNTestSupport"], exclude: ["Data"]),
        .testTarget(name: "WebNNCodeGenTests", dependencies: ["WebNNCodeGen", "WebNNCompiler", "WebNNFrontend", "WebNNReference", "WebNNRuntime",
                                                         "WebNNTransforms", "WebNNTestSupport"],
                    swiftSettings: llvmSwiftFlags, linkerSettings: llvmLinkFlags),
        .testTarget(name: "WebNNRuntimeTests", dependencies: ["WebNNRuntime"]),
        .testTarget(name: "WebNNQuantizationTests", dependencies: ["WebNNQuantization", "WebNNReference", "WebNNTransforms", "WebNNTestSupport",
                                                                   "WebNNRuntime", "WebNNCompiler"],
                    swiftSettings: llvmSwiftFlags, linkerSettings: llvmLinkFlags),
        .testTarget(name: "WebNNCompilerTests", dependencies: ["WebNNCompiler", "WebNNRuntime", "WebNNReference"],
                    swiftSettings: llvmSwiftFlags, linkerSettings: llvmLinkFlags),
    ]
)
