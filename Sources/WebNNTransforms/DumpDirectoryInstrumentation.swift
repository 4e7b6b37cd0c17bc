import Foundation
import WebNNIR

/// `--dump-dir DIR`: writes the graph the pipeline starts from as `00-input.webnn` and the graph
/// after each pass run as `NN-<pass>.webnn` (NN = `PassExecution.number`), each with its own
/// weights (`NN-<pass>.manifest.json`, `NN-<pass>.weights`) when it has large constants, so every
/// dump compiles on its own: `webnnc DIR/03-fold-batchnorm.webnn` re-runs from that point.
public final class DumpDirectoryInstrumentation: PassInstrumentation {
    public let directory: URL
    /// The `.webnn` files written so far, in order.
    public private(set) var writtenFiles: [URL] = []

    /// Dumps into `directory`, which is created if missing.
    public init(directory: URL) {
        self.directory = directory
    }

    public func pipelineWillStart(_ graph: Graph) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try dump(graph, stem: "00-input")
    }

    public func passDidRun(_ execution: PassExecution, producing graph: Graph, changed: Bool, duration: Duration) throws {
        let number = execution.number < 10 ? "0\(execution.number)" : "\(execution.number)"
        try dump(graph, stem: "\(number)-\(execution.passName)")
    }

    private func dump(_ graph: Graph, stem: String) throws {
        let stemURL = directory.appendingPathComponent(stem)
        let (text, weights) = GraphPrinter(writeWeights: true).print(graph)
        let file = stemURL.appendingPathExtension("webnn")
        try Data(text.utf8).write(to: file)
        try weights?.write(stem: stemURL)
        writtenFiles.append(file)
    }
}
