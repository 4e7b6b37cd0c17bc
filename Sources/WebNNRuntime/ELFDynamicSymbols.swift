import Foundation

/// Reads the names of the functions an ELF64 little-endian shared library exports, from its
/// dynamic symbol table (`SHT_DYNSYM` and the string table it links to). Every offset and size
/// in the file is bounds-checked.
enum ELFDynamicSymbols {
    private static let sectionTypeDynamicSymbols: UInt32 = 11  // SHT_DYNSYM
    private static let symbolTypeFunction: UInt8 = 2  // STT_FUNC
    private static let bindingGlobal: UInt8 = 1, bindingWeak: UInt8 = 2  // STB_GLOBAL, STB_WEAK
    private static let elfHeaderSize = 64, sectionHeaderSize = 64, symbolSize = 24

    /// The names of the global functions the file at `path` defines and exports.
    static func exportedFunctionNames(inFileAt path: String) throws -> [String] {
        let file = try ELFFile(path: path)
        let header = try file.read(offset: 0, count: elfHeaderSize, what: "the ELF header")
        guard header[0..<4] == [0x7f, 0x45, 0x4c, 0x46] else { throw ELFError.notELF(path: path) }
        guard header[4] == 2, header[5] == 1 else { throw ELFError.notELF64LittleEndian(path: path) }
        let sectionHeadersOffset = header.load(UInt64.self, at: 0x28)
        let sectionHeaderEntrySize = Int(header.load(UInt16.self, at: 0x3a))
        guard sectionHeaderEntrySize == sectionHeaderSize else {
            throw ELFError.malformed(path: path, detail: "section header size \(sectionHeaderEntrySize), expected 64")
        }
        var sectionCount = UInt64(header.load(UInt16.self, at: 0x3c))
        if sectionCount == 0 && sectionHeadersOffset != 0 {  // extended numbering: the count is in section 0
            sectionCount = try file.sectionHeader(sectionHeadersOffset, index: 0).load(UInt64.self, at: 32)
        }
        for index in 0..<sectionCount {
            let section = try file.sectionHeader(sectionHeadersOffset, index: index)
            guard section.load(UInt32.self, at: 4) == sectionTypeDynamicSymbols else { continue }
            let stringSection = try file.sectionHeader(sectionHeadersOffset, index: UInt64(section.load(UInt32.self, at: 40)))
            let strings = try file.read(
                offset: stringSection.load(UInt64.self, at: 24), count: stringSection.load(UInt64.self, at: 32),
                what: "the dynamic string table")
            let symbols = try file.read(
                offset: section.load(UInt64.self, at: 24), count: section.load(UInt64.self, at: 32),
                what: "the dynamic symbol table")
            return try stride(from: 0, to: symbols.count - symbolSize + 1, by: symbolSize).compactMap { start in
                let info = symbols[start + 4], sectionIndex = symbols.load(UInt16.self, at: start + 6)
                let binding = info >> 4, type = info & 0xf
                guard type == symbolTypeFunction, binding == bindingGlobal || binding == bindingWeak,
                      sectionIndex != 0 else { return nil }
                return try name(at: Int(symbols.load(UInt32.self, at: start)), in: strings, path: path)
            }
        }
        throw ELFError.noDynamicSymbols(path: path)
    }

    /// The NUL-terminated string starting at `offset` of a string table.
    private static func name(at offset: Int, in strings: [UInt8], path: String) throws -> String {
        guard offset < strings.count, let end = strings[offset...].firstIndex(of: 0) else {
            throw ELFError.malformed(path: path, detail: "symbol name offset \(offset) outside the string table")
        }
        return String(decoding: strings[offset..<end], as: UTF8.self)
    }
}

/// An open file read in bounds-checked pieces.
private struct ELFFile {
    let path: String
    private let handle: FileHandle
    private let size: UInt64

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ELFError.cannotRead(path: path) }
        self.path = path
        self.handle = handle
        do {
            size = try handle.seekToEnd()
        } catch {
            throw ELFError.cannotRead(path: path)
        }
    }

    /// `count` bytes at `offset`, or an error naming `what` if they are not all in the file.
    func read<Count: BinaryInteger>(offset: UInt64, count: Count, what: String) throws -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw ELFError.malformed(path: path, detail: "\(what) (\(count) bytes at offset \(offset)) lies outside the \(size)-byte file")
        }
        do {
            try handle.seek(toOffset: offset)
            let bytes = [UInt8](try handle.read(upToCount: Int(count)) ?? Data())
            guard bytes.count == Int(count) else { throw ELFError.cannotRead(path: path) }
            return bytes
        } catch {
            throw ELFError.cannotRead(path: path)
        }
    }

    /// The 64 bytes of section header `index` of the table at `tableOffset`.
    func sectionHeader(_ tableOffset: UInt64, index: UInt64) throws -> [UInt8] {
        let (relative, overflow) = index.multipliedReportingOverflow(by: 64)
        let (offset, overflow2) = tableOffset.addingReportingOverflow(relative)
        guard !overflow, !overflow2 else {
            throw ELFError.malformed(path: path, detail: "section header \(index) lies outside the file")
        }
        return try read(offset: offset, count: 64, what: "section header \(index)")
    }
}

extension [UInt8] {
    /// The little-endian integer at `offset`; the caller has checked that it is in bounds.
    fileprivate func load<Integer: FixedWidthInteger>(_ type: Integer.Type, at offset: Int) -> Integer {
        Integer(littleEndian: withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Integer.self) })
    }
}

/// A file that is not an ELF64 little-endian shared library with dynamic symbols.
public enum ELFError: Error, Equatable, CustomStringConvertible {
    case cannotRead(path: String)
    case notELF(path: String)
    case notELF64LittleEndian(path: String)
    /// An offset or size in the file points outside it or is inconsistent.
    case malformed(path: String, detail: String)
    case noDynamicSymbols(path: String)

    public var description: String {
        switch self {
        case .cannotRead(let path): "elf: cannot read \(path)"
        case .notELF(let path): "elf: \(path) is not an ELF file"
        case .notELF64LittleEndian(let path): "elf: \(path) is not a 64-bit little-endian ELF file"
        case .malformed(let path, let detail): "elf: \(path) is malformed: \(detail)"
        case .noDynamicSymbols(let path): "elf: \(path) has no dynamic symbol table"
        }
    }
}
