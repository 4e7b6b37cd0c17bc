#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Heap memory aligned to `AlignedBuffer.alignment` bytes, freed when the buffer goes away.
final class AlignedBuffer: @unchecked Sendable {
    /// The alignment the ABI requires of scratch; tensors use it too so kernels may rely on it.
    static let alignment = 64

    /// Start of the memory; never nil, even when `byteCount` is 0 (the ABI rejects NULL buffers).
    let pointer: UnsafeMutableRawPointer
    let byteCount: Int

    /// Allocates `byteCount` uninitialized bytes.
    init(byteCount: Int) {
        self.byteCount = byteCount
        pointer = UnsafeMutableRawPointer.allocate(
            byteCount: max(byteCount, 1), alignment: AlignedBuffer.alignment)
    }

    /// A new buffer holding a copy of `bytes`.
    convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(byteCount: bytes.count)
        if let base = bytes.baseAddress { pointer.copyMemory(from: base, byteCount: bytes.count) }
    }

    deinit { pointer.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: pointer, count: byteCount) }
    var mutableBytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: pointer, count: byteCount)
    }
}
