// swift-tools-version:6.0
import PackageDescription

// Runs a webnnc-generated library with the WebNNRuntime library of the webnnc package.
let package = Package(
    name: "swift-app",
    dependencies: [.package(name: "webnnc", path: "../..")],
    targets: [
        .executableTarget(
            name: "swift-app",
            dependencies: [.product(name: "WebNNRuntime", package: "webnnc")]),
    ]
)
