import ArgumentParser
import BertKit
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension BertKitCommand {
    /// Runs the command, ending every failure with one line on stderr and a non-zero status.
    ///
    /// Errors from outside (files, options, data) print their own description; Foundation's and
    /// Codable's errors, whose descriptions are multi-line dumps, are reduced to their message. A
    /// closed stdout (EPIPE) ends the process quietly, as Unix tools do, through SIGPIPE.
    static func main() async {
        // A write to a closed pipe then fails with EPIPE instead of killing the process at once,
        // so the output is flushed and the exit is ours to make.
        signal(SIGPIPE, SIG_IGN)
        reserveStandardDescriptors()
        Communicator.budgetThreads()   // before any command counts its threads
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var command = command as? AsyncParsableCommand {
                try await command.run()   // serve
            } else {
                var command = command
                try command.run()
            }
            try StandardOutput.shared.finish()
        } catch let error as OutputError {
            finish(error)
        } catch let error as ExitCode {
            exit(withError: error)
        } catch let error as ValidationError {
            // Options found wrong while running: one line, with the status of a usage error.
            try? StandardOutput.shared.finish()
            note("bertkit: error: \(error.message)")
            Foundation.exit(64)
        } catch DistributedError.stoppedByRankZero {
            Foundation.exit(1)   // rank 0 prints the one line
        } catch let error as CleanExit {
            exit(withError: error)
        } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // Help, version and usage errors: ArgumentParser prints and exits as it always does.
            exit(withError: error)
        } catch {
            // What was written so far goes out before the error line; a failure to write it matters less.
            try? StandardOutput.shared.finish()
            note("bertkit: error: " + describe(error))
            Foundation.exit(1)
        }
        finishDataParallel()   // under mpirun: every rank ends MPI; any other exit aborts the job
        Foundation.exit(0)
    }

    static func finish(_ error: OutputError) -> Never {
        switch error {
        case .closed:
            signal(SIGPIPE, SIG_DFL)
            raise(SIGPIPE)
            Foundation.exit(141)
        case .failed(let text):
            note("bertkit: error: cannot write to standard output: \(text)")
            Foundation.exit(1)
        }
    }
}

/// One line for any error: typed errors from the libraries describe themselves; Foundation's and
/// Codable's errors are reduced to their message and the key path they concern.
func describe(_ error: any Error) -> String {
    let text: String
    switch error {
    case let error as DecodingError:
        text = error.oneLineDescription
    case let error as EncodingError:
        if case .invalidValue(let value, let context) = error {
            text = "cannot encode \(value) at \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        } else {
            text = "cannot encode: \(error.localizedDescription)"
        }
    case let error as CocoaError:
        text = describe(foundation: error as NSError)
    case let error as CustomStringConvertible where type(of: error) != NSError.self:
        text = error.description
    default:
        text = describe(foundation: error as NSError)
    }
    return text.split(separator: "\n", omittingEmptySubsequences: true).joined(separator: " ")
}

/// Foundation's error for a file: its message, with the path when the message lacks it.
private func describe(foundation error: NSError) -> String {
    var message = error.localizedDescription
    let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
    if let path, !message.contains(path) { message = "\(path): \(message)" }
    return message
}

