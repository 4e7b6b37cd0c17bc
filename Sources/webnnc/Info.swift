import ArgumentParser
import Foundation
import WebNNRuntime

/// `webnnc info`: what a generated library contains.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a library made by webnnc.")

    @Argument(help: "A generated library (.so).")
    var library: String

    @Flag(help: "Print the library's description JSON as it is.")
    var json = false

    func run() throws {
        let model = try Model(path: library)
        if json {
            print(model.descriptionJSON)
            return
        }
        print("""
            model:     \(model.name)
            prefix:    \(model.prefix)
            compiler:  \(model.compilerVersion)
            target:    \(model.target.triple) \(model.target.cpu)
            features:  \(model.target.features)
            scratch:   \(model.scratchSize) bytes\(memoryPlan(model))
            inputs:
            \(model.inputs.map { "  \($0.name): \($0.dataType.webnnName) \($0.shape) (\($0.byteSize) bytes)" }.joined(separator: "\n"))
            outputs:
            \(model.outputs.map { "  \($0.name): \($0.dataType.webnnName) \($0.shape) (\($0.byteSize) bytes)" }.joined(separator: "\n"))
            """)
    }

    /// `" for N intermediates of M bytes (peak live P bytes, K in-place)"`, from the description's
    /// memory plan (older libraries have none; the in-place count came later).
    private func memoryPlan(_ model: Model) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(model.descriptionJSON.utf8)) as? [String: Any],
              let plan = object["memoryPlan"] as? [String: Any],
              let count = plan["intermediateCount"] as? Int, let bytes = plan["intermediateBytes"] as? Int,
              let peak = plan["peakLiveBytes"] as? Int else { return "" }
        let inPlace = (plan["inPlaceCount"] as? Int).map { ", \($0) in-place" } ?? ""
        return " for \(count) intermediates of \(bytes) bytes (peak live \(peak) bytes\(inPlace))"
    }
}
