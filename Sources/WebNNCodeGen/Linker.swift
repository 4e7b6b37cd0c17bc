import Foundation

/// Links object files into a shared library with the system C compiler driver.
public enum Linker {
    /// Runs `cc -shared -o outputPath objectPaths...` (plus `-Wl,-z,defs` so that any symbol the
    /// objects leave unresolved, such as a stray libm call, fails the link) and returns when
    /// it has finished. The driver's messages become the error on failure.
    public static func linkSharedLibrary(objectPaths: [String], outputPath: String, compiler: String = "cc") throws {
        let arguments = [compiler, "-shared", "-o", outputPath] + objectPaths + ["-Wl,-z,defs", "-Wl,-z,noexecstack"]
        let (status, diagnostics) = try runProcess(arguments)
        guard status == 0 else {
            throw CodeGenError.linkFailed(command: arguments.joined(separator: " "), exitStatus: status, diagnostics: diagnostics)
        }
    }
}

/// Runs a program found on PATH with posix_spawn and waits for it; returns its exit status and
/// what it wrote to stderr (stdout is discarded).
func runProcess(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
    var pipeEnds: [Int32] = [0, 0]
    guard pipe(&pipeEnds) == 0 else {
        throw CodeGenError.linkFailed(command: arguments[0], exitStatus: -1, diagnostics: "pipe failed: errno \(errno)")
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
    posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)

    let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid = pid_t()
    let spawnStatus = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
    close(pipeEnds[1])
    defer { close(pipeEnds[0]) }
    guard spawnStatus == 0 else {
        throw CodeGenError.linkFailed(command: arguments[0], exitStatus: -1,
                                      diagnostics: "cannot run \(arguments[0]): \(String(cString: strerror(spawnStatus)))")
    }
    var output = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = read(pipeEnds[0], &chunk, chunk.count)
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        output += chunk[0..<count]
    }
    var waitStatus: Int32 = 0
    while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
    let exited = (waitStatus & 0x7F) == 0
    return (exited ? (waitStatus >> 8) & 0xFF : 128 + (waitStatus & 0x7F), String(decoding: output, as: UTF8.self))
}
