/// Plans the scratch arena: greedy first-fit over buffer lifetimes (in step indices), with
/// every offset a multiple of 64.
struct ScratchAllocator {
    private struct Block {
        var offset: Int
        var size: Int
        var lastUse: Int
    }

    static let alignment = 64
    private var live: [Block] = []
    /// Bytes the arena needs for everything allocated so far.
    private(set) var size = 0

    /// Places a buffer of `byteSize` bytes written at step `firstUse` and last read at step
    /// `lastUse`. Buffers whose last use is before `firstUse` are free for reuse (a step writes
    /// over its own operands only through `reuse(offset:lastUse:)`).
    mutating func allocate(byteSize: Int, firstUse: Int, lastUse: Int) -> Int {
        live.removeAll { $0.lastUse < firstUse }
        let rounded = (max(byteSize, 1) + ScratchAllocator.alignment - 1) / ScratchAllocator.alignment * ScratchAllocator.alignment
        var offset = 0
        for block in live.sorted(by: { $0.offset < $1.offset }) {
            if block.offset - offset >= rounded { break }
            offset = max(offset, block.offset + block.size)
        }
        live.append(Block(offset: offset, size: rounded, lastUse: lastUse))
        size = max(size, offset + rounded)
        return offset
    }

    /// Keeps the buffer at `offset`, whose last use is the step writing another buffer of its
    /// size over it (in place), live until that buffer's `lastUse`.
    mutating func reuse(offset: Int, lastUse: Int) {
        let index = live.firstIndex { $0.offset == offset }!
        live[index].lastUse = max(live[index].lastUse, lastUse)
    }
}
