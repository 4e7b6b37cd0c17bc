import ArgumentParser
import Foundation
import WebNNCompiler
import WebNNTransforms

/// Flags that choose the pass pipeline and look into it.
struct PassFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Run this pass pipeline instead of the -O level's, e.g. 'dce,fixed-point(simplify,cse)'.", valueName: "pipeline"))
    var passes: String?

    @Flag(help: "List the passes and exit.")
    var printPasses = false

    @Flag(help: "Print the pass pipeline that would run and exit.")
    var printPipeline = false

    @Option(name: .customLong("print-ir-before"), help: ArgumentHelp("Print the graph before pass P (to stderr; repeatable).", valueName: "P"))
    var printIRBefore: [String] = []

    @Option(name: .customLong("print-ir-after"), help: ArgumentHelp("Print the graph after pass P (to stderr; repeatable).", valueName: "P"))
    var printIRAfter: [String] = []

    @Flag(name: .customLong("print-ir-after-all"), help: "Print the graph after every pass (to stderr).")
    var printIRAfterAll = false

    @Option(help: ArgumentHelp("Write the graph after every pass as numbered .webnn files (with weights) into DIR.", valueName: "DIR"))
    var dumpDir: String?

    @Flag(help: "Print the time each pass took (to stderr).")
    var timePasses = false

    @Option(help: ArgumentHelp("Stop after the first run of pass P and write the graph as .webnn.", valueName: "P"))
    var stopAfter: String?

    func validate() throws {
        do {
            for name in printIRBefore + printIRAfter + [stopAfter].compactMap({ $0 }) { _ = try PassRegistry.requirePass(named: name) }
            if let passes { _ = try PassRegistry.pipeline(parsing: passes) }
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// Gives `compiler` the chosen pipeline; prints the pass list or the pipeline when asked,
    /// and then returns true (there is nothing more to do).
    func configure(_ compiler: inout Compiler) throws -> Bool {
        compiler.options.passes = passes
        compiler.options.stopAfter = stopAfter
        if printPasses { print(PassRegistry.passListing, terminator: ""); return true }
        if printPipeline { print(try compiler.pipeline()); return true }
        return false
    }

    /// The instrumentations the flags ask for, and the timer whose report is printed at the end.
    func instrumentations() -> (all: [any PassInstrumentation], timer: TimePassesInstrumentation?) {
        var all: [any PassInstrumentation] = []
        if !printIRBefore.isEmpty || !printIRAfter.isEmpty || printIRAfterAll {
            all.append(PrintIRInstrumentation(before: Set(printIRBefore), after: Set(printIRAfter), afterAll: printIRAfterAll,
                                              write: { FileHandle.standardError.write(Data($0.utf8)) }))
        }
        if let dumpDir { all.append(DumpDirectoryInstrumentation(directory: URL(fileURLWithPath: dumpDir))) }
        let timer = timePasses ? TimePassesInstrumentation() : nil
        if let timer { all.append(timer) }
        return (all, timer)
    }
}
