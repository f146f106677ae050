// Shared test helpers: closeness assertions, random tensors, finite-difference gradient checks,
// and locating files beside the package (fixtures, the demo model, the opt-in shared data sets).
import Foundation
import CKernels
import Tensor
import XCTest

/// Asserts that two arrays have the same length and differ by at most `tolerance` anywhere.
public func assertClose(
    _ actual: [Float], _ expected: [Float], tolerance: Float, _ message: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "length differs. \(message())", file: file, line: line)
    let diff = maxAbsDifference(actual, expected)
    XCTAssertLessThanOrEqual(diff, tolerance, "max abs difference \(diff) > \(tolerance). \(message())", file: file, line: line)
}

public func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { Swift.max($0, Swift.abs($1.0 - $1.1)) }
}

extension Tensor {
    /// Uniform values in `range`, reproducible from `seed`.
    public static func random(_ shape: [Int], seed: UInt64, in range: ClosedRange<Float> = -1...1, requiresGrad: Bool = false) -> Tensor {
        var g = SeededGenerator(seed: seed)
        let n = shape.reduce(1, *)
        let values = (0..<n).map { _ in range.lowerBound + (range.upperBound - range.lowerBound) * g.nextUnit() }
        return Tensor(shape: shape, scalars: values, requiresGrad: requiresGrad)
    }

    /// Random values whose magnitude is at least `gap`, so a kink at 0 (ReLU) is never straddled.
    public static func randomAwayFromZero(_ shape: [Int], seed: UInt64, gap: Float = 0.1, requiresGrad: Bool = false) -> Tensor {
        let t = random(shape, seed: seed)
        let values = t.scalars.map { $0 >= 0 ? $0 + gap : $0 - gap }
        return Tensor(shape: shape, scalars: values, requiresGrad: requiresGrad)
    }
}

/// The result of comparing analytic and numeric gradients for one input.
public struct GradientCheck {
    public let analytic: [Double]
    public let numeric: [Double]

    /// ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖): robust where single entries are near 0.
    public var relativeError: Double {
        let diff = zip(analytic, numeric).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        let scale = Swift.max(analytic.reduce(0) { $0 + $1 * $1 }.squareRoot(),
                              numeric.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-8)
        return diff / scale
    }
}

/// Compares the gradients of `f` from backward() with central finite differences.
///
/// The loss is L = Σ wᵢ·f(x)ᵢ with fixed random weights w, summed in Double so the finite
/// differences lose as little precision as Float32 forward passes allow. Each input that
/// `requiresGrad` is checked element by element.
public func gradientCheck(
    _ inputs: [Tensor], step: Float = 1e-2, seed: UInt64 = 99, _ f: ([Tensor]) -> Tensor
) -> [GradientCheck] {
    for x in inputs { x.zeroGrad() }
    let output = f(inputs)
    let weights = Tensor.random(output.shape, seed: seed, in: 0.5...1.5)
    let w = weights.scalars
    (output * weights).sum().backward()

    func loss() -> Double {
        let y = withNoGrad { f(inputs) }.scalars
        return zip(y, w).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    return inputs.filter(\.requiresGrad).map { x in
        let analytic = (x.grad?.scalars ?? [Float](repeating: 0, count: x.count)).map(Double.init)
        var numeric = [Double](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let original = x.withUnsafeBufferPointer { $0[i] }
            x.withUnsafeMutableBufferPointer { $0[i] = original + step }
            let plus = loss()
            x.withUnsafeMutableBufferPointer { $0[i] = original - step }
            let minus = loss()
            x.withUnsafeMutableBufferPointer { $0[i] = original }
            numeric[i] = (plus - minus) / (2 * Double(step))
        }
        return GradientCheck(analytic: analytic, numeric: numeric)
    }
}

/// Asserts that every checked input's relative gradient error is at most `tolerance`.
public func assertGradients(
    _ inputs: [Tensor], tolerance: Double = 1e-3, step: Float = 1e-2, _ name: String = "",
    file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor
) {
    let checks = gradientCheck(inputs, step: step, f)
    XCTAssertFalse(checks.isEmpty, "no input requires a gradient", file: file, line: line)
    for (i, check) in checks.enumerated() {
        XCTAssertLessThanOrEqual(check.relativeError, tolerance,
                                 "\(name): input \(i) relative gradient error \(check.relativeError)", file: file, line: line)
    }
}

/// Files beside the package.
public enum TestPaths {
    /// The package root (the folder holding Package.swift).
    public static var packageRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// A model snapshot folder in the Hugging Face cache, when present.
    public static func cachedModel(_ id: String) -> URL? {
        let env = ProcessInfo.processInfo.environment
        let hub: URL
        if let cache = env["HF_HUB_CACHE"] { hub = URL(fileURLWithPath: cache) }
        else if let home = env["HF_HOME"] { hub = URL(fileURLWithPath: home).appendingPathComponent("hub") }
        else { hub = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/huggingface/hub") }
        let repo = hub.appendingPathComponent("models--" + id.replacingOccurrences(of: "/", with: "--"))
        guard let revision = try? String(contentsOf: repo.appendingPathComponent("refs/main"), encoding: .utf8) else { return nil }
        let snapshot = repo.appendingPathComponent("snapshots").appendingPathComponent(revision.trimmingCharacters(in: .whitespacesAndNewlines))
        return FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("config.json").path) ? snapshot : nil
    }

    /// The demo model, sentence-transformers/all-MiniLM-L6-v2, when installed.
    public static var miniLM: URL? { cachedModel("sentence-transformers/all-MiniLM-L6-v2") }

    /// The demo model's snapshot folder. `scripts/test` installs it (through `scripts/bootstrap`), so a test
    /// that needs it fails when it is missing, naming what to run; `BERTKIT_ALLOW_NO_DEMO_MODEL=1` turns
    /// that failure into a skip, for a machine that cannot fetch the model (no network) and tests the rest.
    public static func demoModel() throws -> URL {
        if let folder = miniLM { return folder }
        let message = "the demo model sentence-transformers/all-MiniLM-L6-v2 is not in the Hugging Face cache "
            + "($HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub); run scripts/bootstrap (scripts/test does)"
        if ProcessInfo.processInfo.environment["BERTKIT_ALLOW_NO_DEMO_MODEL"] == "1" {
            throw XCTSkip(message + " (skipped: BERTKIT_ALLOW_NO_DEMO_MODEL=1)")
        }
        throw MissingTestInput(message)
    }

    /// The shared data sets (SST-2, UD English EWT) for the longer checks, which are opt-in: nil unless
    /// `BERTKIT_SHARED_DATA` is set, and then the tests that take it also run over every line of the full
    /// files (besides the committed samples they always run). `BERTKIT_SHARED_DATA=1` means the `shared/data` folder
    /// beside the package; any other value is the folder itself. Set but missing is an error, not a skip.
    public static func optInSharedData() throws -> URL? {
        guard let value = ProcessInfo.processInfo.environment["BERTKIT_SHARED_DATA"], !value.isEmpty, value != "0" else {
            return nil
        }
        let url = value == "1" ? packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
            : URL(fileURLWithPath: value)
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("sst2/train.tsv").path) else {
            throw MissingTestInput("BERTKIT_SHARED_DATA=\(value) asks for the full shared data, but \(url.path) "
                + "holds no sst2/train.tsv")
        }
        return url
    }
}

/// Something a test needs is absent: the test fails with this reason (never skips quietly).
public struct MissingTestInput: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs `body` once with each build of the C kernels (`CKernels`) this CPU can run, the baseline
/// and the native one at least, then goes back to the native one.
public func forEachInstructionSet(file: StaticString = #filePath, line: UInt = #line, _ body: (String) -> Void) {
    let native = KernelStats.vectorInstructionSet
    defer { XCTAssertEqual(bertkit_select_kernel_isa(native), 1, file: file, line: line) }
    var ran: [String] = []
    for isa in ["baseline", "avx2", "avx512"] where bertkit_select_kernel_isa(isa) == 1 {
        XCTAssertEqual(KernelStats.vectorInstructionSet, isa, file: file, line: line)
        body(isa)
        ran.append(isa)
    }
    XCTAssertTrue(ran.contains("baseline") && ran.contains(native), "ran \(ran), native \(native)", file: file, line: line)
}

/// A fresh folder under the system's temporary directory, removed when the value goes away.
public final class TemporaryFolder {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory
            .appending(path: "bertkit-tests-\(UUID().uuidString)", directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `data` to `name` (which may contain folders) and returns its URL.
    @discardableResult
    public func write(_ name: String, _ data: Data) throws -> URL {
        let file = url.appending(path: name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return file
    }

    @discardableResult
    public func write(_ name: String, _ text: String) throws -> URL {
        try write(name, Data(text.utf8))
    }

    public func makeFolder(_ name: String) throws -> URL {
        let folder = url.appending(path: name, directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}

/// Runs `body`, expecting it to throw, and returns the error (failing the test if none is thrown).
public func expectError<T, E: Error>(
    _ body: () throws(E) -> T, file: StaticString = #filePath, line: UInt = #line
) -> E? {
    do {
        let value = try body()
        XCTFail("expected an error, got \(value)", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

/// Asserts that `message` contains every one of `parts`.
public func assertMentions(_ message: String, _ parts: [String], file: StaticString = #filePath, line: UInt = #line) {
    for part in parts where !message.contains(part) {
        XCTFail("message does not mention \"\(part)\":\n\(message)", file: file, line: line)
    }
}
