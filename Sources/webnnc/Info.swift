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
        // The description, not a loaded Model: a library built for another CPU is described too.
        let model = try ModelDescription(path: library)
        if json {
            print(model.json)
            return
        }
        let cannotRun = model.variant == nil ? "\nthis CPU:  lacks features this library needs (it cannot run here)" : ""
        print("""
            model:     \(model.name)
            prefix:    \(model.prefix)
            compiler:  \(model.compilerVersion)
            target:    \(model.target.triple) \(model.target.cpu)
            features:  \(model.target.features)\(variants(model))\(cannotRun)
            scratch:   \(model.scratchSize) bytes\(memoryPlan(model))
            inputs:
            \(model.inputs.map { "  \($0.name): \($0.dataType.webnnName) \($0.shape) (\($0.byteSize) bytes)" }.joined(separator: "\n"))
            outputs:
            \(model.outputs.map { "  \($0.name): \($0.dataType.webnnName) \($0.shape) (\($0.byteSize) bytes)" }.joined(separator: "\n"))
            """)
    }

    /// The variants of a library with several, one a line, marking the one this CPU runs (and
    /// saying when `WEBNNC_VARIANT` chose it); "" for a library with one.
    private func variants(_ model: ModelDescription) -> String {
        guard let variants = model.target.variants else { return "" }
        let forced = ProcessInfo.processInfo.environment["WEBNNC_VARIANT"].flatMap { name in
            variants.contains { $0.name == name } ? name : nil
        }
        return "\nvariants:  (the first this CPU can run is used\(forced.map { "; WEBNNC_VARIANT=\($0) forces one" } ?? ""))\n"
            + variants.enumerated().map { index, variant in
                let mark = index == model.variant ? "* " : "  "
                return "\(mark)[\(index)] \(variant.name): \(variant.cpu) \(variant.features)"
            }.joined(separator: "\n")
            + (model.variant.map { "\nthis CPU:  variant \($0) (\(variants[$0].name))" } ?? "")
    }

    /// `" for N intermediates of M bytes (peak live P bytes, K in-place)"`, from the description's
    /// memory plan (older libraries have none; the in-place count came later).
    private func memoryPlan(_ model: ModelDescription) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(model.json.utf8)) as? [String: Any],
              let plan = object["memoryPlan"] as? [String: Any],
              let count = plan["intermediateCount"] as? Int, let bytes = plan["intermediateBytes"] as? Int,
              let peak = plan["peakLiveBytes"] as? Int else { return "" }
        let inPlace = (plan["inPlaceCount"] as? Int).map { ", \($0) in-place" } ?? ""
        return " for \(count) intermediates of \(bytes) bytes (peak live \(peak) bytes\(inPlace))"
    }
}
