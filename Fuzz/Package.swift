// swift-tools-version:6.0
// libFuzzer targets for webnnc's readers: built by scripts/fuzz.sh with `--sanitize=fuzzer` (and
// address) in its own scratch path (.build-fuzz), so the main package's build flags are untouched.
// A target is one directory Sources/fuzz-NAME/ with a `@_cdecl("LLVMFuzzerTestOneInput")`
// function, one line in `targets` below, and a seed folder Corpus/NAME/ (see Fuzz/README.md).
import PackageDescription

/// The fuzz targets and the webnnc products each one reads through.
let targets: [(name: String, products: [String])] = [
    ("webnn-text", ["WebNNFrontend"]),
    ("webnn-json", ["WebNNFrontend"]),
    ("weights", ["WebNNFrontend"]),
    ("safetensors", ["WebNNFrontend"]),
    ("npy", ["WebNNRuntime"]),
    ("onnx", ["WebNNONNX"]),
]

let package = Package(
    name: "webnnc-fuzz",
    dependencies: [.package(name: "webnnc", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "WebNNFrontend", package: "webnnc")]),
    ] + targets.map { target in
        // libFuzzer supplies `main`: the target's file is a library file.
        .executableTarget(
            name: "fuzz-\(target.name)",
            dependencies: ["FuzzSupport"] + target.products.map { .product(name: $0, package: "webnnc") },
            swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    }
)
