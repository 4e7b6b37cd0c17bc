import Foundation

/// Scratch buffers of one size, reused across runs; each concurrent run gets its own.
final class ScratchPool: @unchecked Sendable {  // `free` is guarded by `lock`
    private let byteCount: Int
    private let lock = NSLock()
    private var free: [AlignedBuffer] = []

    init(byteCount: Int) { self.byteCount = byteCount }

    /// Calls `body` with 64-byte aligned scratch that no other call uses meanwhile
    /// (NULL when the size is 0, as the ABI allows).
    func withScratch<Result>(_ body: (UnsafeMutableRawPointer?) throws -> Result) rethrows -> Result {
        guard byteCount > 0 else { return try body(nil) }
        let buffer = lock.withLock { free.popLast() } ?? AlignedBuffer(byteCount: byteCount)
        defer { lock.withLock { free.append(buffer) } }
        return try body(buffer.pointer)
    }
}
