import ArgumentParser
import Foundation
import WebNNBasics

/// The `webnnc` command: compiles WebNN graphs to shared libraries, and runs and inspects them.
@main
struct Webnnc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webnnc",
        abstract: "Compile WebNN graphs (.webnn/.wnn) or ONNX models into native shared libraries with a plain C ABI.",
        discussion: """
            Examples:
              webnnc model.webnn -o libmodel.so          compile (also writes libmodel.h)
              webnnc model.webnn --dump-ir               print the parsed, verified graph
              webnnc model.webnn --emit=asm -o model.s   other outputs: ir, llvm, asm, obj, so, header
              webnnc opt model.webnn -O2 -o opt.webnn    run the passes only, .webnn to .webnn
              webnnc import model.onnx -o model.webnn    ONNX to .webnn (+ weights); --input-shape x=1,3,224,224
              webnnc model.onnx -o libmodel.so           compile an ONNX model directly
              webnnc run libmodel.so --input image=in.npy --output-dir out/
              webnnc run model.webnn --interpret --input image=in.npy --output-dir out/
              webnnc info libmodel.so                    what a generated library contains

            Exit status: 0 success, 1 error in the input or usage, 2 internal error.
            """,
        version: "0.1.0",
        subcommands: [Compile.self, Import.self, Opt.self, Run.self, Info.self, Conformance.self, Bench.self, Quantize.self],
        defaultSubcommand: Compile.self)

    /// Runs the command line, mapping failures to the documented exit codes.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch let error as Diagnostic {
            exitWithMessage("\(error)", code: 1)
        } catch let error as DiagnosticList {
            exitWithMessage("\(error)", code: 1)
        } catch let error as InternalError {
            exitWithMessage("webnnc: \(error)", code: 2)
        } catch let error as UserError {
            exitWithMessage("webnnc: error: \(error)", code: 1)
        } catch {
            let code = exitCode(for: error)
            if code == .success || code == .validationFailure || code.rawValue == 64 {
                let message = fullMessage(for: error)
                if code == .success { print(message) } else { exitWithMessage(message, code: 1) }
                Foundation.exit(0)
            }
            exitWithMessage("webnnc: error: \(error)", code: isUserFacing(error) ? 1 : 2)
        }
    }

    private static func exitWithMessage(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        Foundation.exit(code)
    }

    /// Errors of the runtime and of files are the user's to fix; anything else is ours.
    private static func isUserFacing(_ error: Error) -> Bool {
        !(error is InternalError)
    }
}

/// A mistake in how webnnc was called (bad flag value, missing file).
struct UserError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
