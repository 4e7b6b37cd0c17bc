import WebNNBasics

/// A binary weights file (`<stem>.weights`), in either variant: the "WGWT" container (magic,
/// u32 version 1, then tensors at absolute offsets ≥ 8) or a headerless concatenation.
/// Offsets in the manifest are absolute in both.
public struct WeightsBinary: Sendable {
    private static let magic: [UInt8] = Array("WGWT".utf8)
    private static let headerSize = 8

    /// The file's path.
    public let file: String
    /// Whether the file starts with the "WGWT" header.
    public let hasHeader: Bool
    private let bytes: [UInt8]

    /// Wraps the bytes of `file`. It has a header when it starts with "WGWT" and no tensor of
    /// `manifest` starts before offset 8; a header's version must be 1.
    public init(bytes: [UInt8], file: String, manifest: WeightsManifest) throws(Diagnostic) {
        self.file = file
        self.bytes = bytes
        let smallestOffset = manifest.entries.values.map(\.byteOffset).min() ?? WeightsBinary.headerSize
        hasHeader = bytes.starts(with: WeightsBinary.magic) && smallestOffset >= WeightsBinary.headerSize
        if hasHeader {
            guard bytes.count >= WeightsBinary.headerSize else {
                throw Diagnostic("\(file): weights file is truncated inside its WGWT header")
            }
            let version = bytes[4..<8].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard version == 1 else {
                throw Diagnostic("\(file): unsupported WGWT weights version \(version); expected 1")
            }
        }
    }

    /// The bytes of `entry`, or nil when they extend past the end of the file.
    public func bytes(of entry: WeightsManifest.Entry) -> [UInt8]? {
        let end = entry.byteOffset.addingReportingOverflow(entry.byteLength)
        guard !end.overflow, end.partialValue <= bytes.count else { return nil }
        return Array(bytes[entry.byteOffset..<end.partialValue])
    }

    /// The file's size in bytes.
    public var byteCount: Int { bytes.count }
}
