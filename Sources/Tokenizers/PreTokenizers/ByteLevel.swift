/// GPT-2's byte-level pre-tokenization, as the `ByteLevel` pre-tokenizer of Hugging Face `tokenizers`.
///
/// Optionally puts a space before each piece of text that does not start with one, splits it with GPT-2's
/// expression (`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`), then writes every
/// UTF-8 byte as one printable scalar (``ByteLevelAlphabet``). The scalars made from one character keep that
/// character's alignment, so a token covering part of a multi-byte character reports the whole character.
public struct ByteLevelPreTokenizer: PreTokenizer, Hashable {
    /// Put a space before text that does not start with one, so that the first word looks like the others.
    public var addPrefixSpace: Bool
    /// Split with GPT-2's expression (otherwise each piece of text stays whole).
    public var useRegex: Bool

    /// A `ByteLevel` pre-tokenizer; the defaults are those of `tokenizers`.
    public init(addPrefixSpace: Bool = true, useRegex: Bool = true) {
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
    }

    public func preTokenize(_ string: inout PreTokenizedString) {
        string.splitAndEdit { normalized, ranges in
            if addPrefixSpace && normalized.scalars.first != " " { normalized.prepend(" ") }
            var pieces = [Range<Int>]()
            if useRegex {
                Self.gpt2Split(normalized.scalars, into: &pieces)
            } else if !normalized.isEmpty {
                pieces.append(0..<normalized.scalars.count)
            }
            // Bytes: each scalar becomes as many scalars as it has UTF-8 bytes; the first replaces it.
            var changes = [(Unicode.Scalar, Int)]()
            changes.reserveCapacity(normalized.scalars.count + 8)
            var newIndex = [Int]()
            newIndex.reserveCapacity(normalized.scalars.count + 1)
            for s in normalized.scalars {
                newIndex.append(changes.count)
                if s.value < 0x80 {
                    changes.append((ByteLevelAlphabet.scalar(UInt8(s.value)), 0))
                } else {
                    for (k, byte) in String(s).utf8.enumerated() {
                        changes.append((ByteLevelAlphabet.scalar(byte), k == 0 ? 0 : 1))
                    }
                }
            }
            newIndex.append(changes.count)
            normalized.transform(changes)
            for r in pieces { ranges.append(newIndex[r.lowerBound]..<newIndex[r.upperBound]) }
        }
    }

    /// GPT-2's expression over `s`, matched as Oniguruma matches it (first alternative wins, greedy runs with
    /// backtracking for the lookahead), with Oniguruma's classes. Every scalar is in some match.
    static func gpt2Split(_ s: [Unicode.Scalar], into out: inout [Range<Int>]) {
        let tables = CharacterTables.shared
        let n = s.count
        @inline(__always) func cls(_ i: Int) -> CharacterClass { tables.classOf(s[i]) }
        @inline(__always) func isSpace(_ i: Int) -> Bool { i < n && cls(i).contains(.regexSpace) }
        var i = 0
        while i < n {
            let c = s[i]
            // 's 't 're 've 'm 'll 'd
            if c == "'" && i + 1 < n {
                let a = s[i + 1]
                if a == "s" || a == "t" || a == "m" || a == "d" {
                    out.append(i..<(i + 2))
                    i += 2
                    continue
                }
                if i + 2 < n {
                    let b = s[i + 2]
                    if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") {
                        out.append(i..<(i + 3))
                        i += 3
                        continue
                    }
                }
            }
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: the optional space, then a run of one kind.
            let body = c == " " ? i + 1 : i
            if body < n {
                let k = cls(body)
                let kind: CharacterClass? = k.contains(.letter) ? .letter : k.contains(.number) ? .number
                    : k.isDisjoint(with: [.letter, .number, .regexSpace]) ? [] : nil
                if let kind {
                    var j = body + 1
                    while j < n {
                        let kj = cls(j)
                        let same = kind.isEmpty ? kj.isDisjoint(with: [.letter, .number, .regexSpace]) : kj.contains(kind)
                        if !same { break }
                        j += 1
                    }
                    out.append(i..<j)
                    i = j
                    continue
                }
            }
            // `\s+(?!\S)`, then `\s+`
            if isSpace(i) {
                var j = i + 1
                while isSpace(j) { j += 1 }
                if j < n && j - i > 1 { j -= 1 }
                out.append(i..<j)
                i = j
                continue
            }
            // Unreachable: every scalar is a letter, a number, a space or other.
            out.append(i..<(i + 1))
            i += 1
        }
    }
}

/// GPT-2's map from bytes to printable scalars: printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for
/// themselves, the others (controls, space, …) for U+0100 onwards in byte order (space is `Ġ`, newline `Ċ`).
enum ByteLevelAlphabet {
    static let scalars: [Unicode.Scalar] = {
        var out = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                out[b] = Unicode.Scalar(UInt32(b))!
            } else {
                out[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return out
    }()

    static let bytes: [UInt32: UInt8] = {
        var map = [UInt32: UInt8]()
        for (b, s) in scalars.enumerated() { map[s.value] = UInt8(b) }
        return map
    }()

    @inline(__always)
    static func scalar(_ byte: UInt8) -> Unicode.Scalar { scalars[Int(byte)] }
}
