import WebNNBasics
import WebNNIR

/// Runs a pipeline: each pass once or to a fixed point, optionally verifying the graph after
/// every pass and stopping after a named pass, and calls the instrumentations around each pass.
public struct PassManager {
    public var pipeline: Pipeline
    /// Run the verifier after every pass; a failure is an `InternalError` naming the pass.
    public var verifyEach: Bool
    /// Stop the pipeline right after the first run of the pass with this name.
    public var stopAfter: String?
    public var instrumentations: [any PassInstrumentation]

    /// Rounds a fixed-point step may take before the passes are deemed to oscillate.
    public static let fixedPointRoundLimit = 16

    public init(pipeline: Pipeline, verifyEach: Bool = true, stopAfter: String? = nil,
                instrumentations: [any PassInstrumentation] = []) {
        self.pipeline = pipeline
        self.verifyEach = verifyEach
        self.stopAfter = stopAfter
        self.instrumentations = instrumentations
    }

    /// The driver's call before instrumentations existed: `observer` gets each pass's name, the
    /// graph it produced and its duration. Kept so `WebNNCompiler` builds until it moves to
    /// `init(pipeline:verifyEach:stopAfter:instrumentations:)`; remove it then.
    /// Runs the pipeline on `graph`. Errors from a pass become `InternalError`s naming it;
    /// a `stopAfter` that names no pass of the pipeline is a `PipelineError`.
    public func run(_ graph: inout Graph) throws {
        if let stopAfter, !pipeline.contains(passNamed: stopAfter) {
            throw PipelineError.notInPipeline(stopAfter, pipeline: pipeline.description)
        }
        for instrumentation in instrumentations { try instrumentation.pipelineWillStart(graph) }
        var executions = 0
        /// Runs one pass; returns whether it changed the graph, or nil when the pipeline must stop.
        func execute(_ pass: Pass) throws -> Bool? {
            executions += 1
            let execution = PassExecution(number: executions, passName: pass.name)
            for instrumentation in instrumentations { try instrumentation.passWillRun(execution, on: graph) }
            let clock = ContinuousClock()
            let start = clock.now
            let changed: Bool
            do {
                changed = try pass.run(&graph)
            } catch let error as InternalError where error.stage == pass.name {
                throw error
            } catch let error as InternalError {
                throw InternalError(stage: pass.name, "\(error.stage): \(error.message)")
            } catch {
                throw InternalError(stage: pass.name, "\(error)")
            }
            let duration = clock.now - start
            if verifyEach { try Verifier.verify(graph, after: pass.name) }
            for instrumentation in instrumentations {
                try instrumentation.passDidRun(execution, producing: graph, changed: changed, duration: duration)
            }
            return pass.name == stopAfter ? nil : changed
        }
        for step in pipeline.steps {
            switch step {
            case .once(let pass):
                if try execute(pass) == nil { return }
            case .fixedPoint(let passes):
                var round = 0
                var changed = true
                while changed {
                    round += 1
                    guard round <= PassManager.fixedPointRoundLimit else {
                        throw InternalError(stage: Pipeline([step]).description,
                                            "no fixed point after \(PassManager.fixedPointRoundLimit) rounds")
                    }
                    changed = false
                    for pass in passes {
                        guard let passChanged = try execute(pass) else { return }
                        changed = changed || passChanged
                    }
                }
            }
        }
    }
}
