import Foundation

/// The parsed and validated header of a safetensors file.
///
/// Layout of the file: an 8-byte little-endian header length `n`, `n` bytes of JSON, then the data
/// section. The JSON maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
/// (offsets relative to the data section); an optional `__metadata__` maps strings to strings.
struct SafeTensorsHeader: Sendable {
    /// Header length the reference implementation accepts at most (100 MB).
    static let maxLength = 100_000_000

    var tensors: [String: TensorInfo]
    var metadata: [String: String]

    /// Parses `json` and checks every entry against a data section of `dataSize` bytes.
    /// Errors name `file` and the offending tensor.
    init(json bytes: [UInt8], dataSize: Int, file: URL) throws(CheckpointError) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes)
        } catch {
            throw CheckpointError(file: file, .invalidJSON(line: error.line, column: error.column, error.message))
        }
        guard case .object(let members) = root else {
            throw CheckpointError(file: file, .invalidHeader(
                "the header is \(root.kindName), expected an object mapping tensor names to {dtype, shape, data_offsets}"))
        }
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for name in members.keys.sorted() {
            let value = members[name]!
            if name == "__metadata__" {
                metadata = try Self.parseMetadata(value, file: file)
            } else {
                tensors[name] = try Self.parseEntry(name: name, value, dataSize: dataSize, file: file)
            }
        }
        try Self.checkNoOverlap(tensors, file: file)
        self.tensors = tensors
        self.metadata = metadata
    }

    private static func parseMetadata(_ value: JSONValue, file: URL) throws(CheckpointError) -> [String: String] {
        guard case .object(let members) = value else {
            throw CheckpointError(file: file, key: "__metadata__", .invalidHeader(
                "expected an object of strings, found \(value.excerpt)"))
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let s) = value else {
                throw CheckpointError(file: file, key: "__metadata__", .invalidHeader(
                    "value of \"\(key)\" must be a string, found \(value.excerpt)"))
            }
            metadata[key] = s
        }
        return metadata
    }

    private static func parseEntry(
        name: String, _ value: JSONValue, dataSize: Int, file: URL
    ) throws(CheckpointError) -> TensorInfo {
        func fail(_ reason: CheckpointError.Reason) -> CheckpointError {
            CheckpointError(file: file, key: name, reason)
        }
        guard case .object(let entry) = value else {
            throw fail(.invalidHeader("expected an object with dtype, shape and data_offsets, found \(value.excerpt)"))
        }

        guard let dtypeValue = entry["dtype"] else { throw fail(.invalidHeader("\"dtype\" is missing")) }
        guard case .string(let dtypeName) = dtypeValue else {
            throw fail(.invalidHeader("\"dtype\" must be a string, found \(dtypeValue.excerpt)"))
        }
        guard let dtype = DType(rawValue: dtypeName) else { throw fail(.unknownDType(dtypeName)) }

        guard let shapeValue = entry["shape"] else { throw fail(.invalidShape("\"shape\" is missing")) }
        guard case .array(let dims) = shapeValue else {
            throw fail(.invalidShape("expected an array of non-negative integers, found \(shapeValue.excerpt)"))
        }
        var shape: [Int] = []
        var elementCount = 1
        for dim in dims {
            guard let n = dim.intValue, n >= 0 else {
                throw fail(.invalidShape("dimension \(dim.excerpt) in \(shapeValue) is not a non-negative integer"))
            }
            shape.append(n)
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: n)
            guard !overflow else { throw fail(.invalidShape("\(shapeValue) has more elements than can be addressed")) }
            elementCount = product
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteCount)
        guard !overflow else { throw fail(.invalidShape("\(shapeValue) of \(dtypeName) has more bytes than can be addressed")) }

        guard let offsetsValue = entry["data_offsets"] else { throw fail(.invalidOffsets("\"data_offsets\" is missing")) }
        guard case .array(let offsets) = offsetsValue, offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, end >= 0
        else {
            throw fail(.invalidOffsets("expected [begin, end] with two non-negative integers, found \(offsetsValue.excerpt)"))
        }
        guard begin <= end else {
            throw fail(.invalidOffsets("[\(begin), \(end)] ends before it begins"))
        }
        guard end <= dataSize else {
            throw fail(.truncated(
                "data_offsets [\(begin), \(end)] end past the data section, which has \(dataSize) bytes"))
        }
        guard end - begin == byteCount else {
            throw fail(.invalidOffsets(
                "[\(begin), \(end)] hold \(end - begin) bytes, but shape \(shape) of \(dtypeName) needs \(byteCount) bytes"))
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// No two tensors may share bytes (empty tensors share none).
    private static func checkNoOverlap(_ tensors: [String: TensorInfo], file: URL) throws(CheckpointError) {
        let ranges = tensors.values
            .filter { !$0.dataOffsets.isEmpty }
            .sorted { ($0.dataOffsets.lowerBound, $0.name) < ($1.dataOffsets.lowerBound, $1.name) }
        for (previous, next) in zip(ranges, ranges.dropFirst()) where next.dataOffsets.lowerBound < previous.dataOffsets.upperBound {
            throw CheckpointError(file: file, key: next.name, .overlappingData(otherKey: previous.name))
        }
    }
}
