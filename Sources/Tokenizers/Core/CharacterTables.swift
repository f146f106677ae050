// Per-scalar character classes and mappings, as Hugging Face `tokenizers` sees them.
//
// The data lives in the generated `UnicodeTables.swift`; this file parses it once into a two-stage lookup table
// (blocks of 256 scalars, identical blocks shared) so that classifying a scalar costs two array loads.

/// What `tokenizers` knows about one Unicode scalar: classes in the low 16 bits, the canonical combining class in
/// bits 16–23.
struct CharacterClass: OptionSet, Sendable {
    let rawValue: UInt32

    /// Removed by `BertNormalizer`'s clean_text (controls, format characters, private use, NUL, U+FFFD).
    static let cleanRemoved = CharacterClass(rawValue: 1 << 0)
    /// Replaced by a space by clean_text.
    static let cleanToSpace = CharacterClass(rawValue: 1 << 1)
    /// Rust's `char::is_whitespace`.
    static let whitespace = CharacterClass(rawValue: 1 << 2)
    /// `BertPreTokenizer`'s punctuation.
    static let punctuation = CharacterClass(rawValue: 1 << 3)
    /// A CJK ideograph that `BertNormalizer` surrounds with spaces.
    static let chinese = CharacterClass(rawValue: 1 << 4)
    /// A nonspacing mark (Mn), removed when stripping accents.
    static let nonspacingMark = CharacterClass(rawValue: 1 << 5)
    /// NFD changes this scalar.
    static let decomposes = CharacterClass(rawValue: 1 << 6)
    /// Lowercasing changes this scalar.
    static let lowercases = CharacterClass(rawValue: 1 << 7)
    /// Oniguruma's `\p{L}`.
    static let letter = CharacterClass(rawValue: 1 << 8)
    /// Oniguruma's `\p{N}`.
    static let number = CharacterClass(rawValue: 1 << 9)
    /// Oniguruma's `\s`.
    static let regexSpace = CharacterClass(rawValue: 1 << 10)
    /// Oniguruma's `\w`.
    static let word = CharacterClass(rawValue: 1 << 11)
    /// Rust's `char::is_numeric`.
    static let numeric = CharacterClass(rawValue: 1 << 12)
    /// NFKD differs from NFD for this scalar.
    static let compatibilityDecomposes = CharacterClass(rawValue: 1 << 13)
    /// The second scalar of some canonical composition pair.
    static let composesAsSecond = CharacterClass(rawValue: 1 << 14)
    /// A combining mark (Mn, Mc, Me), removed by the `StripAccents` normalizer.
    static let combiningMark = CharacterClass(rawValue: 1 << 15)

    /// The canonical combining class (0 for starters).
    var combiningClass: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 16) }
}

/// The parsed tables. One shared, immutable instance, built on first use.
struct CharacterTables: Sendable {
    static let shared = CharacterTables()

    private let blockIndex: [UInt16]      // scalar >> 8 → block number
    private let blocks: [CharacterClass]  // block number * 256 + (scalar & 255) → class
    private let decompositionTable: [UInt32: [Unicode.Scalar]]
    private let lowercaseTable: [UInt32: [Unicode.Scalar]]
    private let compatibilityTable: [UInt32: [Unicode.Scalar]]
    private let compositionTable: [UInt64: Unicode.Scalar]

    private init() {
        var flat = [UInt32](repeating: 0, count: 0x110000)
        let classes: [(ranges: String, bits: CharacterClass)] = [
            (UnicodeTables.cleanRemoved, .cleanRemoved), (UnicodeTables.cleanToSpace, .cleanToSpace),
            (UnicodeTables.whitespace, .whitespace), (UnicodeTables.punctuation, .punctuation),
            (UnicodeTables.chinese, .chinese), (UnicodeTables.nonspacingMarks, .nonspacingMark),
            (UnicodeTables.combiningMarks, .combiningMark), (UnicodeTables.letters, .letter),
            (UnicodeTables.numbers, .number), (UnicodeTables.regexSpaces, .regexSpace),
            (UnicodeTables.wordCharacters, .word), (UnicodeTables.numeric, .numeric),
        ]
        for (ranges, bits) in classes {
            for (lo, hi) in Self.parseRanges(ranges) {
                for v in lo...hi { flat[Int(v)] |= bits.rawValue }
            }
        }
        // `combiningClasses` is "class=ranges class=ranges …" where ranges may continue after spaces.
        var currentClass: UInt32 = 0
        for word in UnicodeTables.combiningClasses.split(whereSeparator: \.isWhitespace) {
            var rangeText = Substring(word)
            if let eq = word.firstIndex(of: "=") {
                currentClass = UInt32(word[..<eq])!
                rangeText = word[word.index(after: eq)...]
            }
            for (lo, hi) in Self.parseRanges(String(rangeText)) {
                for v in lo...hi { flat[Int(v)] = (flat[Int(v)] & 0xFFFF) | currentClass << 16 }
            }
        }
        let decompositions = Self.parseMap(UnicodeTables.decompositions)
        for key in decompositions.keys { flat[Int(key)] |= CharacterClass.decomposes.rawValue }
        for s in 0xAC00..<(0xAC00 + 11172) { flat[s] |= CharacterClass.decomposes.rawValue }
        let lowercase = Self.parseMap(UnicodeTables.lowercase)
        for key in lowercase.keys { flat[Int(key)] |= CharacterClass.lowercases.rawValue }
        let compatibility = Self.parseMap(UnicodeTables.compatibilityDecompositions)
        for key in compatibility.keys { flat[Int(key)] |= CharacterClass.compatibilityDecomposes.rawValue }
        var compositions = [UInt64: Unicode.Scalar]()
        for (composite, pair) in Self.parseMap(UnicodeTables.compositions) where pair.count == 2 {
            compositions[UInt64(pair[0].value) << 32 | UInt64(pair[1].value)] = Unicode.Scalar(composite)!
            flat[Int(pair[1].value)] |= CharacterClass.composesAsSecond.rawValue
        }
        // Hangul LV and LVT syllables compose algorithmically from their jamo.
        for v in 0x1161...0x1175 { flat[v] |= CharacterClass.composesAsSecond.rawValue }
        for v in 0x11A8...0x11C2 { flat[v] |= CharacterClass.composesAsSecond.rawValue }

        var index = [UInt16]()
        var blocks = [CharacterClass]()
        var seen = [[UInt32]: UInt16]()
        index.reserveCapacity(0x1100)
        for start in stride(from: 0, to: 0x110000, by: 256) {
            let block = Array(flat[start..<(start + 256)])
            if let number = seen[block] {
                index.append(number)
            } else {
                let number = UInt16(seen.count)
                seen[block] = number
                index.append(number)
                blocks.append(contentsOf: block.map { CharacterClass(rawValue: $0) })
            }
        }
        blockIndex = index
        self.blocks = blocks
        decompositionTable = decompositions
        lowercaseTable = lowercase
        compatibilityTable = compatibility
        compositionTable = compositions
    }

    /// The classes of `scalar`.
    @inline(__always)
    func classOf(_ scalar: Unicode.Scalar) -> CharacterClass {
        let v = Int(scalar.value)
        return blocks[Int(blockIndex[v &>> 8]) &<< 8 | (v & 0xFF)]
    }

    /// The full canonical decomposition of `scalar` (NFD), or nil when it has none.
    func decomposition(of scalar: Unicode.Scalar) -> [Unicode.Scalar]? {
        let v = scalar.value
        if v >= 0xAC00 && v < 0xAC00 + 11172 {
            // Hangul syllables decompose algorithmically into two or three jamo.
            let i = v - 0xAC00
            var out: [Unicode.Scalar] = [Unicode.Scalar(0x1100 + i / 588)!, Unicode.Scalar(0x1161 + (i % 588) / 28)!]
            if i % 28 != 0 { out.append(Unicode.Scalar(0x11A7 + i % 28)!) }
            return out
        }
        return decompositionTable[v]
    }

    /// The full compatibility decomposition of `scalar` (NFKD), or nil when it has none.
    func compatibilityDecomposition(of scalar: Unicode.Scalar) -> [Unicode.Scalar]? {
        if classOf(scalar).contains(.compatibilityDecomposes) { return compatibilityTable[scalar.value] }
        return decomposition(of: scalar)
    }

    /// The primary composite of `first` and `second` (canonical composition, Hangul included), or nil.
    func composition(_ first: Unicode.Scalar, _ second: Unicode.Scalar) -> Unicode.Scalar? {
        let a = first.value
        let b = second.value
        if a >= 0x1100 && a < 0x1113 && b >= 0x1161 && b < 0x1176 {
            return Unicode.Scalar(0xAC00 + ((a - 0x1100) * 21 + (b - 0x1161)) * 28)
        }
        if a >= 0xAC00 && a < 0xAC00 + 11172 && (a - 0xAC00) % 28 == 0 && b > 0x11A7 && b < 0x11C3 {
            return Unicode.Scalar(a + (b - 0x11A7))
        }
        return compositionTable[UInt64(a) << 32 | UInt64(b)]
    }

    /// The lowercase mapping of `scalar` (one to three scalars), or nil when lowercasing leaves it unchanged.
    func lowercaseMapping(of scalar: Unicode.Scalar) -> [Unicode.Scalar]? {
        lowercaseTable[scalar.value]
    }

    private static func parseRanges(_ text: String) -> [(UInt32, UInt32)] {
        text.split(whereSeparator: \.isWhitespace).map { word in
            if let dash = word.firstIndex(of: "-") {
                return (UInt32(word[..<dash], radix: 16)!, UInt32(word[word.index(after: dash)...], radix: 16)!)
            }
            let v = UInt32(word, radix: 16)!
            return (v, v)
        }
    }

    private static func parseMap(_ text: String) -> [UInt32: [Unicode.Scalar]] {
        var map = [UInt32: [Unicode.Scalar]]()
        for word in text.split(whereSeparator: \.isWhitespace) {
            let colon = word.firstIndex(of: ":")!
            let key = UInt32(word[..<colon], radix: 16)!
            map[key] = word[word.index(after: colon)...].split(separator: ".").map { Unicode.Scalar(UInt32($0, radix: 16)!)! }
        }
        return map
    }
}
