/// A library that cannot be loaded as a webnnc model.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// `dlopen` failed.
    case cannotLoad(path: String, reason: String)
    /// No prefix P has `P_describe`, `P_run` and `P_abi_version`.
    case noModel(path: String)
    /// Several prefixes have them; pass `prefix:` to choose.
    case ambiguousPrefix(path: String, prefixes: [String])
    case missingSymbol(path: String, symbol: String)
    case abiVersionMismatch(path: String, expected: Int32, found: Int32)
    /// `P_check_cpu` says this CPU lacks features the code needs.
    case unsupportedCPU(path: String, compiledFor: String)
    /// The description JSON or a tensor info is malformed.
    case badDescription(path: String, detail: String)
    /// The description JSON disagrees with the query functions.
    case descriptionMismatch(path: String, detail: String)

    public var description: String {
        switch self {
        case .cannotLoad(let path, let reason):
            "model: cannot load \(path): \(reason)"
        case .noModel(let path):
            "model: \(path) is not a webnnc model: no prefix P has P_describe, P_run and P_abi_version"
        case .ambiguousPrefix(let path, let prefixes):
            "model: \(path) holds several models (prefixes \(prefixes.joined(separator: ", "))); choose one with prefix:"
        case .missingSymbol(let path, let symbol):
            "model: \(path) does not export \(symbol)"
        case .abiVersionMismatch(let path, let expected, let found):
            "model: \(path) was built for ABI version \(found), this runtime supports version \(expected)"
        case .unsupportedCPU(let path, let compiledFor):
            "model: \(path) needs a CPU this machine is not: it was compiled for \(compiledFor)"
        case .badDescription(let path, let detail):
            "model: \(path) has a bad description: \(detail)"
        case .descriptionMismatch(let path, let detail):
            "model: \(path) describes itself inconsistently: \(detail)"
        }
    }
}

/// A model run that was refused or failed.
public enum RunError: Error, Equatable, CustomStringConvertible {
    case unknownInput(name: String, suggestion: String?, inputs: [String])
    case missingInput(TensorInfo)
    case dataTypeMismatch(input: String, expected: DataType, actual: DataType)
    case shapeMismatch(input: String, expected: [Int], actual: [Int])
    /// The low-level run got the wrong number of input or output pointers.
    case bufferCountMismatch(kind: String, expected: Int, actual: Int)
    /// `WEBNNC_ERROR_NULL_ARGUMENT`.
    case nullArgument
    /// `WEBNNC_ERROR_UNSUPPORTED_CPU`.
    case unsupportedCPU
    /// `WEBNNC_ERROR_MISALIGNED_SCRATCH`.
    case misalignedScratch
    /// A status the ABI does not define.
    case unknownStatus(Int32)
    /// A profiled run of a library that has no `P_run_profiled`.
    case noProfile(path: String)

    /// The error for a `webnnc_status` other than `WEBNNC_OK`.
    init(status: Int32) {
        switch status {
        case 1: self = .nullArgument
        case 2: self = .unsupportedCPU
        case 3: self = .misalignedScratch
        default: self = .unknownStatus(status)
        }
    }

    public var description: String {
        switch self {
        case .unknownInput(let name, let suggestion, let inputs):
            "run: unknown input '\(name)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
                + "; the model's inputs are \(inputs.map { "'\($0)'" }.joined(separator: ", "))"
        case .missingInput(let info):
            "run: missing input \(info)"
        case .dataTypeMismatch(let input, let expected, let actual):
            "run: input '\(input)' has data type \(actual), expected \(expected)"
        case .shapeMismatch(let input, let expected, let actual):
            "run: input '\(input)' has shape \(actual), expected \(expected)"
        case .bufferCountMismatch(let kind, let expected, let actual):
            "run: got \(actual) \(kind) buffers, the model has \(expected)"
        case .nullArgument:
            "run: the model reported a NULL argument (WEBNNC_ERROR_NULL_ARGUMENT)"
        case .unsupportedCPU:
            "run: the model does not support this CPU (WEBNNC_ERROR_UNSUPPORTED_CPU)"
        case .misalignedScratch:
            "run: the scratch buffer is not 64-byte aligned (WEBNNC_ERROR_MISALIGNED_SCRATCH)"
        case .unknownStatus(let status):
            "run: the model returned unknown status \(status)"
        case .noProfile(let path):
            "run: \(path) cannot be profiled (it has no P_run_profiled; compile it again with this webnnc)"
        }
    }
}
