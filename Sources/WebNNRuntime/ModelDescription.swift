import Foundation

/// What a generated library says about itself (`P_describe`, docs/abi.md), decoded, and the
/// variant this CPU runs. Reading it calls only the library's constant queries and its CPU
/// check, never a kernel, so it works for a library built for a CPU this machine is not
/// (`webnnc info`), which `Model` refuses to load.
public struct ModelDescription: Sendable {
    public let path: String
    /// The description JSON as the library returns it.
    public let json: String
    public let prefix: String
    public let name: String
    public let compilerVersion: String
    public let target: Target
    public let scratchSize: Int
    public let inputs: [TensorInfo]
    public let outputs: [TensorInfo]
    /// The steps of a run, each with the kernel of the variant this CPU runs (of the first
    /// variant when it runs none; empty for libraries made before profiles existed).
    public let steps: [Model.Step]
    /// The index in `target.variants` of the variant runs use on this CPU (0 for a library
    /// without variants); nil when this CPU lacks features every variant needs (`P_check_cpu`).
    public let variant: Int?
    /// `P_cpu_features`: the triple, CPU and features the code was compiled for.
    public let cpuFeatures: String

    /// Reads the description of the library at `path` (its prefix found as `Model` finds it).
    public init(path: String, prefix: String? = nil) throws {
        try self.init(ModelLibrary(path: path, prefix: prefix))
    }

    init(_ library: ModelLibrary) throws {
        path = library.path
        json = string(library.describe())
        cpuFeatures = string(library.cpuFeatures())
        let described: DescriptionJSON
        do {
            described = try JSONDecoder().decode(DescriptionJSON.self, from: Data(json.utf8))
        } catch {
            throw ModelError.badDescription(path: library.path, detail: "\(library.prefix)_describe is not valid JSON: \(error)")
        }
        guard described.abiVersion == Model.abiVersion else {
            throw ModelError.descriptionMismatch(
                path: path, detail: "\"abiVersion\" is \(described.abiVersion) in the JSON, \(Model.abiVersion) from the query functions")
        }
        prefix = described.prefix
        name = described.name
        compilerVersion = described.compiler
        target = described.target
        scratchSize = described.scratchSize
        let path = library.path
        inputs = try described.inputs.map { try $0.tensorInfo(path: path) }
        outputs = try described.outputs.map { try $0.tensorInfo(path: path) }
        let variant = library.checkCPU() == 0 ? Int(library.variant?() ?? 0) : nil
        self.variant = variant
        var kernels = (described.steps ?? []).map(\.kernel)
        if let variants = described.target.variants {
            let shown = variant ?? 0
            guard variants.indices.contains(shown), variants[shown].kernels.count == kernels.count else {
                throw ModelError.badDescription(path: path, detail: "variant \(shown) of \(variants.count) does not list the kernel of every step")
            }
            kernels = variants[shown].kernels
        }
        steps = zip(described.steps ?? [], kernels).map { Model.Step(label: $0.label, kernel: $1) }
    }
}

/// The JSON of `P_describe`.
private struct DescriptionJSON: Decodable {
    struct StepJSON: Decodable {
        let label: String
        let kernel: String
    }
    /// Absent in libraries made before profiles existed.
    let steps: [StepJSON]?
    struct TensorJSON: Decodable {
        let name: String
        let dataType: String
        let shape: [Int]
        let byteSize: Int

        func tensorInfo(path: String) throws -> TensorInfo {
            guard let type = DataType(webnnName: dataType) else {
                throw ModelError.badDescription(path: path, detail: "\(name) has unknown data type \"\(dataType)\"")
            }
            let info: TensorInfo
            do {
                info = try TensorInfo(name: name, dataType: type, shape: shape)
            } catch {
                throw ModelError.badDescription(path: path, detail: "\(name): \(error)")
            }
            guard info.byteSize == byteSize else {
                throw ModelError.badDescription(
                    path: path, detail: "\(name) has byteSize \(byteSize), but \(info) has \(info.byteSize) bytes")
            }
            return info
        }
    }

    let abiVersion: Int32
    let name: String
    let prefix: String
    let compiler: String
    let target: Target
    let scratchSize: Int
    let inputs: [TensorJSON]
    let outputs: [TensorJSON]
}
