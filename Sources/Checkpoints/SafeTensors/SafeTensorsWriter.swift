import Foundation

/// Builds a `.safetensors` file of F32 tensors and writes it atomically.
///
/// The layout matches the Python `safetensors` library: `__metadata__` first, then the tensors
/// sorted by name, their data contiguous in the same order, and the header padded with spaces to a
/// multiple of 8 bytes so the data section is aligned.
///
/// ```swift
/// var writer = SafeTensorsWriter()
/// writer.add("classifier.weight", shape: [2, 384], values: weights)
/// try writer.write(to: folder.appending(path: "model.safetensors"))
/// ```
public struct SafeTensorsWriter: Sendable {
    /// The header's `__metadata__`, or `nil` to omit it. The default, `["format": "pt"]`, is what
    /// transformers requires to load the file with `from_pretrained`.
    public var metadata: [String: String]?

    private var tensors: [String: (shape: [Int], values: [Float])] = [:]

    /// A writer with no tensors yet.
    public init(metadata: [String: String]? = ["format": "pt"]) {
        self.metadata = metadata
    }

    /// The names added so far, sorted.
    public var keys: [String] { tensors.keys.sorted() }

    /// Adds a tensor. Trap if `values.count` is not the product of `shape`, or `name` was already
    /// added or is `__metadata__`: those are programming errors.
    public mutating func add(_ name: String, shape: [Int], values: [Float]) {
        precondition(name != "__metadata__", "\"__metadata__\" is reserved in safetensors headers")
        precondition(shape.allSatisfy { $0 >= 0 }, "tensor \"\(name)\": negative dimension in \(shape)")
        precondition(values.count == shape.reduce(1, *),
                     "tensor \"\(name)\": shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        precondition(tensors[name] == nil, "tensor \"\(name)\" added twice")
        tensors[name] = (shape, values)
    }

    /// The header bytes: the 8-byte little-endian length followed by the padded JSON.
    public func header() -> [UInt8] {
        var json = "{"
        var entries: [String] = []
        if let metadata {
            var text = ""
            JSONWriter.writeString("__metadata__", to: &text)
            text += ":" + JSONValue.object(metadata.mapValues { .string($0) }).serialized(indent: nil)
            entries.append(text)
        }
        var offset = 0
        for name in keys {
            let (shape, values) = tensors[name]!
            var text = ""
            JSONWriter.writeString(name, to: &text)
            let end = offset + 4 * values.count
            text += ":{\"dtype\":\"F32\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],"
                + "\"data_offsets\":[\(offset),\(end)]}"
            entries.append(text)
            offset = end
        }
        json += entries.joined(separator: ",") + "}"
        var bytes = Array(json.utf8)
        bytes += Array(repeating: UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8)
        let length = UInt64(bytes.count).littleEndian
        return withUnsafeBytes(of: length) { Array($0) } + bytes
    }

    /// Writes the file atomically (see ``AtomicFile``), streaming the tensors without copying them.
    public func write(to url: URL) throws(CheckpointError) {
        try AtomicFile.write(to: url, typed: { (file: inout AtomicFile.Writer) throws(CheckpointError) in
            try file.write(Data(header()))
            for name in keys {
                try file.write(littleEndian: tensors[name]!.values)
            }
        })
    }
}
