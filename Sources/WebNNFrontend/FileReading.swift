import Foundation
import WebNNBasics

/// Reads a whole file; nil when it does not exist, a diagnostic when it exists but cannot be read.
func readFileIfPresent(_ path: String) throws(Diagnostic) -> [UInt8]? {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
    guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
        throw Diagnostic("cannot read '\(path)'")
    }
    return [UInt8](data)
}

/// Reads a whole file, which must exist.
func readFile(_ path: String) throws(Diagnostic) -> [UInt8] {
    guard let bytes = try readFileIfPresent(path) else { throw Diagnostic("no such file: '\(path)'") }
    return bytes
}
