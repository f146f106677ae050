import ArgumentParser
import Foundation

/// Refuses, before any work, an output that is one of the command's inputs: the same file or
/// folder once symlinks and `..` are resolved, also when the output does not exist yet.
enum OutputGuard {
    /// Throws when `output` resolves to the path of one of `inputs` (option name, path).
    static func check(_ option: String, _ output: String, against inputs: [(option: String, path: String?)]) throws {
        let target = resolved(output)
        for case let (name, path?) in inputs where resolved(path) == target {
            throw ValidationError("\(option) \(output) is \(name) \(path); writing there would destroy it, choose another path")
        }
    }

    /// The path with every symlink resolved: the longest part that exists through realpath(3),
    /// then the rest as given.
    static func resolved(_ path: String) -> String {
        var head = URL(fileURLWithPath: path).standardizedFileURL.path
        var tail: [String] = []
        while head != "/" {
            if let real = realpath(head, nil) {
                defer { free(real) }
                return ([String(cString: real)] + tail.reversed()).joined(separator: "/")
            }
            tail.append((head as NSString).lastPathComponent)
            head = (head as NSString).deletingLastPathComponent
        }
        return "/" + tail.reversed().joined(separator: "/")
    }
}
