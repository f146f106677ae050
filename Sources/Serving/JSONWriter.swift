import Checkpoints
import Foundation

/// Hand-written JSON for the hot responses (vectors of floats), where `JSONEncoder` is slow.
enum JSONWriter {
    /// A JSON string literal, by Checkpoints' one escaper.
    static func string(_ s: String) -> String { JSONValue.quoted(s) }

    /// A number: Swift's shortest representation that reads back to the same Float.
    static func number(_ x: Float) -> String {
        x.isFinite ? "\(x)" : "null"
    }

    /// `[x, …]`
    static func floats(_ v: [Float], into out: inout String) {
        out += "["
        for (i, x) in v.enumerated() {
            if i > 0 { out += "," }
            out += number(x)
        }
        out += "]"
    }

    /// The little-endian float32 bytes in base64, as OpenAI's `encoding_format: "base64"`.
    static func base64(_ v: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(v.count * 4)
        for x in v {
            let b = x.bitPattern.littleEndian
            bytes += [UInt8(truncatingIfNeeded: b), UInt8(truncatingIfNeeded: b >> 8),
                      UInt8(truncatingIfNeeded: b >> 16), UInt8(truncatingIfNeeded: b >> 24)]
        }
        return Data(bytes).base64EncodedString()
    }
}
