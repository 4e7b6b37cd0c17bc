import Foundation
import Testing
@testable import WebNNRuntime

@Suite struct ThreadPoolTests {
    /// Counts how often each index ran.
    private final class Counts: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [Int]
        private var threads = Set<UInt>()
        init(_ count: Int) { counts = Array(repeating: 0, count: count) }
        func hit(_ index: Int) {
            lock.withLock {
                counts[index] += 1
                threads.insert(UInt(bitPattern: Int(bitPattern: pthread_self())))
            }
        }
        var values: [Int] { lock.withLock { counts } }
        var threadCount: Int { lock.withLock { threads.count } }
    }

    @Test(arguments: [0, 1, 2, 7, 1000])
    func runsEveryIndexOnce(count: Int) {
        let pool = ThreadPool(threads: 4)
        let counts = Counts(count)
        pool.parallelFor(count: count) { counts.hit($0) }
        #expect(counts.values == Array(repeating: 1, count: count))
    }

    @Test func ignoresNegativeCounts() {
        let counts = Counts(1)
        ThreadPool(threads: 2).parallelFor(count: -3) { _ in counts.hit(0) }
        #expect(counts.values == [0])
    }

    @Test func usesSeveralThreads() {
        let pool = ThreadPool(threads: 2)
        let counts = Counts(64)
        pool.parallelFor(count: 64) { index in
            counts.hit(index)
            usleep(1000)
        }
        #expect(counts.threadCount == 2)
    }

    @Test func oneThreadRunsOnTheCaller() {
        let pool = ThreadPool(threads: 1)
        let counts = Counts(10)
        pool.parallelFor(count: 10) { counts.hit($0) }
        #expect(counts.threadCount == 1)
        #expect(ThreadPool(threads: 0).threads == 1)
    }

    @Test func acceptsConcurrentAndNestedCalls() {
        let pool = ThreadPool(threads: 3)
        let counts = Counts(8 * 20 * 5)
        DispatchQueue.concurrentPerform(iterations: 8) { caller in
            pool.parallelFor(count: 20) { outer in
                pool.parallelFor(count: 5) { inner in counts.hit((caller * 20 + outer) * 5 + inner) }
            }
        }
        #expect(counts.values == Array(repeating: 1, count: 8 * 20 * 5))
    }

    @Test func overheadIsSmall() {
        let pool = ThreadPool(threads: 2)
        let calls = 2000
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<calls { pool.parallelFor(count: 8) { _ in } }
        let microsecondsPerCall = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(calls) / 1000
        #expect(microsecondsPerCall < 200, "parallelFor of 8 empty tasks took \(microsecondsPerCall) µs per call")
    }
}
