#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// A fixed set of persistent worker threads that run the tasks of `parallelFor` calls.
///
/// The calling thread works on its own call too, so a pool of `threads` has `threads - 1`
/// workers. Calls may come from several threads at once (each waits only for its own tasks),
/// and a task may itself call `parallelFor`.
///
/// A model runs one short `parallelFor` per kernel step, back to back, so waiting is done by
/// spinning for about 0.2 ms before sleeping on a condition variable: idle workers see the next
/// step's job without a wake-up, and the caller sees its last chunk finish without one. The spin
/// also spans the gap between inferences run one after another, so the first step of the next
/// one does not wait for a worker to wake (that wake-up took ~60 µs, 1–2 % of SqueezeNet at 2
/// threads).
public final class ThreadPool: @unchecked Sendable {
    /// A pool with one thread per core, shared by models that are not given a pool.
    public static let shared = ThreadPool(threads: ProcessInfo.processInfo.activeProcessorCount)

    /// The number of threads that run tasks, counting the calling thread.
    public let threads: Int

    // Everything below is guarded by `mutex`.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Signalled when a job is added or the pool stops.
    private let workAvailable = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Signalled when a chunk of a job finishes.
    private let chunkFinished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Jobs with tasks not yet claimed, oldest first.
    private var pendingJobs: [Job] = []
    private var stopping = false
    private var workers: [pthread_t] = []
    /// Counts posted jobs (read without the mutex by spinning workers).
    private let postedJobs = Atomic<Int>(0)
    /// How many times a waiting thread polls before it sleeps (0.15–0.2 ms measured here).
    static let spinIterations = 200_000

    /// A pool of `threads` threads (at least 1): the calling thread plus `threads - 1` workers.
    public init(threads: Int) {
        self.threads = max(threads, 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(workAvailable, nil)
        pthread_cond_init(chunkFinished, nil)
        for _ in 1..<self.threads {
            var thread = pthread_t()
            let result = pthread_create(&thread, nil, { context in
                Unmanaged<ThreadPool>.fromOpaque(context!).takeUnretainedValue().workerLoop()
                return nil
            }, Unmanaged.passUnretained(self).toOpaque())
            precondition(result == 0, "ThreadPool: pthread_create failed with \(result)")
            workers.append(thread)
        }
    }

    deinit {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(workAvailable)
        pthread_mutex_unlock(mutex)
        for worker in workers { pthread_join(worker, nil) }
        pthread_cond_destroy(chunkFinished)
        pthread_cond_destroy(workAvailable)
        pthread_mutex_destroy(mutex)
        chunkFinished.deallocate()
        workAvailable.deallocate()
        mutex.deallocate()
    }

    /// Runs `body(i)` for every `i` in `0..<count`, in any order and concurrently, and returns
    /// when all have finished.
    public func parallelFor(count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard count > 1, threads > 1 else {
            for index in 0..<max(count, 0) { body(index) }
            return
        }
        let job = Job(count: count, threads: threads, body: body)
        pthread_mutex_lock(mutex)
        pendingJobs.append(job)
        postedJobs.add(1, ordering: .releasing)
        pthread_cond_broadcast(workAvailable)
        while let chunk = job.claimChunk() {
            if job.allClaimed { pendingJobs.removeAll { $0 === job } }
            run(chunk, of: job)
        }
        pthread_mutex_unlock(mutex)
        for _ in 0..<ThreadPool.spinIterations where job.isFinished { break }
        pthread_mutex_lock(mutex)
        while !job.isFinished { pthread_cond_wait(chunkFinished, mutex) }
        pthread_mutex_unlock(mutex)
    }

    private func workerLoop() {
        pthread_mutex_lock(mutex)
        while true {
            if !stopping && pendingJobs.isEmpty {
                // Spin (without the mutex) until a job is posted, then sleep if none came.
                let seen = postedJobs.load(ordering: .acquiring)
                pthread_mutex_unlock(mutex)
                for _ in 0..<ThreadPool.spinIterations where postedJobs.load(ordering: .acquiring) != seen { break }
                pthread_mutex_lock(mutex)
            }
            while !stopping && pendingJobs.isEmpty { pthread_cond_wait(workAvailable, mutex) }
            if stopping { break }
            let job = pendingJobs[0]
            if let chunk = job.claimChunk() {
                if job.allClaimed { pendingJobs.removeFirst() }
                run(chunk, of: job)
            }
        }
        pthread_mutex_unlock(mutex)
    }

    /// Runs the tasks of `chunk` with `mutex` released; called and returns with it held.
    private func run(_ chunk: Range<Int>, of job: Job) {
        pthread_mutex_unlock(mutex)
        for index in chunk { job.body(index) }
        pthread_mutex_lock(mutex)
        if job.finish(chunk.count) { pthread_cond_broadcast(chunkFinished) }
    }
}

/// One `parallelFor` call; its counters are guarded by the pool's mutex.
///
/// Tasks are claimed in guided chunks: each claim takes a share of what is left (half of it
/// divided among the threads), so there are few claims while much is left and single tasks at
/// the end, where a large chunk would leave the other threads waiting for it.
private final class Job {
    let count: Int
    let threads: Int
    let body: @Sendable (Int) -> Void
    private var nextIndex = 0
    /// Tasks finished; written under the pool's mutex, read without it by a spinning caller.
    private let finished = Atomic<Int>(0)

    init(count: Int, threads: Int, body: @escaping @Sendable (Int) -> Void) {
        self.count = count
        self.threads = threads
        self.body = body
    }

    var allClaimed: Bool { nextIndex == count }

    var isFinished: Bool { finished.load(ordering: .acquiring) == count }

    /// Records `tasks` more finished tasks; returns whether that finished the job.
    func finish(_ tasks: Int) -> Bool {
        finished.add(tasks, ordering: .releasing).newValue == count
    }

    /// The next tasks to run, or nil when all are claimed.
    func claimChunk() -> Range<Int>? {
        guard nextIndex < count else { return nil }
        let size = max(1, (count - nextIndex) / (2 * threads))
        let chunk = nextIndex..<(nextIndex + size)
        nextIndex = chunk.upperBound
        return chunk
    }
}
