import ArgumentParser
import Foundation
import WebNNIR

/// `webnnc opt <graph>`: runs the pass pipeline text to text, like LLVM's `opt`.
struct Opt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the pass pipeline on a graph and write the result as .webnn text (with its weights).")

    @Argument(help: "The graph: a .webnn or .wnn file (weights beside it).")
    var graph: String

    @Option(name: .shortAndLong, help: "Output .webnn (its weights go beside it); default: stdout, for graphs without large constants.")
    var output: String?

    @OptionGroup var flags: CompileFlags

    @OptionGroup(title: "Passes") var passFlags: PassFlags

    func run() throws {
        var compiler = flags.compiler
        if try passFlags.configure(&compiler) { return }
        let graph = try compiler.loadGraph(path: self.graph)
        let (instrumentations, timer) = passFlags.instrumentations()
        defer { if let timer { FileHandle.standardError.write(Data(timer.report().utf8)) } }
        let optimized = try compiler.optimize(graph, instrumentations: instrumentations)
        if let output {
            try writeGraph(optimized, to: output)
            return
        }
        let (text, weights) = GraphPrinter(writeWeights: true).print(optimized)
        guard weights == nil else {
            throw UserError("the optimized graph has constants too large to print inline; write it with -o FILE.webnn (weights go beside it)")
        }
        print(text, terminator: "")
    }
}

/// Writes `graph` as `.webnn` text to `path`, and the weights of its large constants (if any)
/// beside it as `<stem>.manifest.json` and `<stem>.weights`, so the file compiles as it is.
func writeGraph(_ graph: Graph, to path: String) throws {
    let (text, weights) = GraphPrinter(writeWeights: true).print(graph)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    try weights?.write(stem: URL(fileURLWithPath: path).deletingPathExtension())
}
