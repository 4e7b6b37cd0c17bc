import Foundation
import WebNNBasics
import WebNNIR
import WebNNRuntime

/// Input samples read from `.npy` files in a folder, one sample at a time. Two layouts:
///
/// - one subfolder per sample, holding `<input name>.npy` for every graph input
///   (`calib/000/image.npy`, `calib/001/image.npy`, ...);
/// - for a graph with one input, a flat folder of `.npy` files, one sample each.
///
/// Samples are taken in file-name order. Each file must hold exactly the input's data type and
/// shape (the batch included).
public struct CalibrationSet: Sendable {
    /// Per sample: its name (the subfolder or file), and the file of each input.
    public let samples: [(name: String, files: [String: URL])]
    private let inputTypes: [String: TensorType]

    /// The samples in `directory` for `graph`'s inputs (at most `limit`, if given).
    public init(directory: String, for graph: Graph, limit: Int? = nil) throws {
        let folder = URL(fileURLWithPath: directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw QuantizationError("\(directory): no such folder")
        }
        let entries = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.isDirectoryKey])
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let folders = entries.filter { (try? $0.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true }
        let files = entries.filter { $0.pathExtension == "npy" && !folders.contains($0) }
        let inputNames = graph.inputs.map { graph[$0].name }
        inputTypes = Dictionary(uniqueKeysWithValues: graph.inputs.map { (graph[$0].name, graph[$0].type) })
        var samples: [(name: String, files: [String: URL])] = []
        switch (folders.isEmpty, files.isEmpty) {
        case (false, true):
            for sample in folders {
                var inputs: [String: URL] = [:]
                for name in inputNames {
                    let file = sample.appendingPathComponent(name + ".npy")
                    guard FileManager.default.fileExists(atPath: file.path) else {
                        throw QuantizationError("\(sample.path): no \(name).npy (every sample folder needs one .npy file per graph input: \(inputNames.map { $0 + ".npy" }.joined(separator: ", ")))")
                    }
                    inputs[name] = file
                }
                samples.append((sample.lastPathComponent, inputs))
            }
        case (true, false):
            guard inputNames.count == 1 else {
                throw QuantizationError("\(directory): a flat folder of .npy files only works for a graph with one input; this graph has \(inputNames.count) (\(inputNames.joined(separator: ", "))): put each sample in its own subfolder as <input name>.npy")
            }
            samples = files.map { ($0.lastPathComponent, [inputNames[0]: $0]) }
        case (false, false):
            throw QuantizationError("\(directory): holds both .npy files and subfolders; use one subfolder per sample, or (for a one-input graph) only .npy files")
        case (true, true):
            throw QuantizationError("\(directory): no .npy files or sample subfolders")
        }
        if let limit { samples = Array(samples.prefix(limit)) }
        self.samples = samples
    }

    /// The inputs of sample `index`, checked against the graph's input types.
    public func inputs(ofSample index: Int) throws -> [String: TensorData] {
        var inputs: [String: TensorData] = [:]
        for (name, file) in samples[index].files {
            let tensor: Tensor
            do {
                tensor = try NPY.read(file)
            } catch {
                throw QuantizationError("\(file.path): \(error)")
            }
            let expected = inputTypes[name]!
            guard let dataType = WebNNBasics.DataType(rawValue: tensor.dataType.webnnName), dataType == expected.dataType,
                  tensor.shape == expected.shape, let data = TensorData(type: expected, bytes: tensor.bytes) else {
                throw QuantizationError("\(file.path): holds \(tensor), but input '\(name)' is \(expected)")
            }
            inputs[name] = data
        }
        return inputs
    }
}
