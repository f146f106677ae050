/// A decoder for raw DEFLATE data (RFC 1951), for deflated zip entries.
///
/// `torch.save` stores its entries uncompressed, but an archive re-packed by a zip tool may deflate
/// them. This is the canonical decoder (stored, fixed-Huffman and dynamic-Huffman blocks, as in
/// zlib's `puff.c`), bounded by the size the zip directory declares: the output never grows past
/// `expectedSize`, and every read of the input is checked.
enum Inflate {
    struct Failure: Error {
        var message: String
    }

    /// Decompresses `input`, which must produce exactly `expectedSize` bytes.
    static func decompress(_ input: UnsafeRawBufferPointer, expectedSize: Int) throws(Failure) -> [UInt8] {
        var state = State(input: input, limit: expectedSize)
        var last = false
        while !last {
            last = try state.bits(1) == 1
            switch try state.bits(2) {
            case 0: try state.storedBlock()
            case 1: try state.codes(Huffman.fixedLength, Huffman.fixedDistance)
            case 2:
                let (length, distance) = try state.dynamicTables()
                try state.codes(length, distance)
            default: throw Failure(message: "invalid deflate block type 3")
            }
        }
        guard state.output.count == expectedSize else {
            throw Failure(message: "inflated to \(state.output.count) bytes, but the directory says \(expectedSize)")
        }
        return state.output
    }

    /// A canonical Huffman code: the number of codes of each length, and the symbols in code order.
    struct Huffman {
        var counts: [Int]  // counts[length], length 0...15
        var symbols: [Int]

        /// Builds the code from each symbol's code length; an over-subscribed set is an error,
        /// an incomplete one is allowed (as zlib allows it for single-code distance tables).
        init(lengths: [Int]) throws(Failure) {
            counts = [Int](repeating: 0, count: 16)
            for length in lengths { counts[length] += 1 }
            var left = 1
            for length in 1...15 {
                left <<= 1
                left -= counts[length]
                guard left >= 0 else { throw Failure(message: "over-subscribed Huffman code lengths") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (symbol, length) in lengths.enumerated() where length != 0 {
                symbols[offsets[length]] = symbol
                offsets[length] += 1
            }
        }

        static let fixedLength: Huffman = {
            var lengths = [Int](repeating: 8, count: 288)
            for i in 144..<256 { lengths[i] = 9 }
            for i in 256..<280 { lengths[i] = 7 }
            return try! Huffman(lengths: lengths)  // a fixed, valid table
        }()

        static let fixedDistance: Huffman = try! Huffman(lengths: [Int](repeating: 5, count: 30))  // fixed, valid
    }

    private static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    private static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    private struct State {
        let input: UnsafeRawBufferPointer
        let limit: Int
        var position = 0
        var bitBuffer = 0
        var bitCount = 0
        var output: [UInt8] = []

        init(input: UnsafeRawBufferPointer, limit: Int) {
            self.input = input
            self.limit = limit
            // Reserve what the directory declares, capped: a lying size must not allocate gigabytes
            // up front (deflate expands at most about 1032:1, so the output grows as it is produced).
            output.reserveCapacity(min(limit, input.count.multipliedReportingOverflow(by: 4).partialValue, 1 << 26))
        }

        mutating func bits(_ count: Int) throws(Failure) -> Int {
            var value = bitBuffer
            while bitCount < count {
                guard position < input.count else { throw Failure(message: "deflate data ends early") }
                value |= Int(input[position]) << bitCount
                position += 1
                bitCount += 8
            }
            bitBuffer = value >> count
            bitCount -= count
            return value & ((1 << count) - 1)
        }

        mutating func emit(_ byte: UInt8) throws(Failure) {
            guard output.count < limit else {
                throw Failure(message: "inflates to more than the \(limit) bytes the directory declares")
            }
            output.append(byte)
        }

        mutating func storedBlock() throws(Failure) {
            bitBuffer = 0
            bitCount = 0
            guard position + 4 <= input.count else { throw Failure(message: "deflate data ends early") }
            let length = Int(input[position]) | Int(input[position + 1]) << 8
            let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
            position += 4
            guard length == ~complement & 0xFFFF else { throw Failure(message: "stored block length does not match its complement") }
            guard length <= input.count - position else { throw Failure(message: "deflate data ends early") }
            guard length <= limit - output.count else {
                throw Failure(message: "inflates to more than the \(limit) bytes the directory declares")
            }
            // Safe: position + length <= input.count, checked above.
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[position..<(position + length)]))
            position += length
        }

        mutating func decode(_ code: Huffman) throws(Failure) -> Int {
            var value = 0, first = 0, index = 0
            for length in 1...15 {
                value |= try bits(1)
                let count = code.counts[length]
                if value - count < first { return code.symbols[index + (value - first)] }
                index += count
                first += count
                first <<= 1
                value <<= 1
            }
            throw Failure(message: "invalid Huffman code")
        }

        mutating func codes(_ lengthCode: Huffman, _ distanceCode: Huffman) throws(Failure) {
            while true {
                let symbol = try decode(lengthCode)
                if symbol < 256 {
                    try emit(UInt8(symbol))
                } else if symbol == 256 {
                    return
                } else {
                    let index = symbol - 257
                    guard index < lengthBase.count else { throw Failure(message: "invalid length symbol \(symbol)") }
                    let length = try lengthBase[index] + bits(lengthExtra[index])
                    let distanceSymbol = try decode(distanceCode)
                    guard distanceSymbol < distanceBase.count else { throw Failure(message: "invalid distance symbol \(distanceSymbol)") }
                    let distance = try distanceBase[distanceSymbol] + bits(distanceExtra[distanceSymbol])
                    guard distance <= output.count else { throw Failure(message: "distance \(distance) reaches before the start of the data") }
                    for _ in 0..<length { try emit(output[output.count - distance]) }
                }
            }
        }

        mutating func dynamicTables() throws(Failure) -> (Huffman, Huffman) {
            let lengthCount = try bits(5) + 257
            let distanceCount = try bits(5) + 1
            let codeLengthCount = try bits(4) + 4
            guard lengthCount <= 286, distanceCount <= 30 else { throw Failure(message: "too many length or distance codes") }
            var codeLengths = [Int](repeating: 0, count: 19)
            for i in 0..<codeLengthCount { codeLengths[codeLengthOrder[i]] = try bits(3) }
            let codeLengthCode = try Huffman(lengths: codeLengths)
            var lengths: [Int] = []
            let total = lengthCount + distanceCount
            while lengths.count < total {
                let symbol = try decode(codeLengthCode)
                if symbol < 16 {
                    lengths.append(symbol)
                    continue
                }
                var repeated = 0
                var times: Int
                switch symbol {
                case 16:
                    guard let previous = lengths.last else { throw Failure(message: "repeat with no previous length") }
                    repeated = previous
                    times = try 3 + bits(2)
                case 17: times = try 3 + bits(3)
                default: times = try 11 + bits(7)
                }
                guard lengths.count + times <= total else { throw Failure(message: "too many code lengths") }
                lengths += repeatElement(repeated, count: times)
            }
            guard lengths[256] != 0 else { throw Failure(message: "no end-of-block code") }
            return (try Huffman(lengths: Array(lengths[0..<lengthCount])),
                    try Huffman(lengths: Array(lengths[lengthCount...])))
        }
    }
}
