/// The Unigram model of SentencePiece (ALBERT, XLM-R, T5, …), as Hugging Face `tokenizers`' `Unigram`.
///
/// A word is cut into the pieces whose scores (log probabilities) add up to the most, found by Viterbi over every
/// vocabulary entry that matches at every position (`encode_optimized` in `tokenizers`, ties to the first path
/// found). A scalar that starts no entry of its own length is unknown, scored `min score − 10`; consecutive
/// unknown scalars fuse into one unknown token (`fuse_unk`, always on in `tokenizers`' Unigram), which keeps its
/// text. With `byteFallback`, an unknown piece becomes its UTF-8 bytes (`<0x41>`) when all are in the vocabulary.
public struct Unigram: TokenizerModel {
    /// The vocabulary: token and score, in id order.
    public let vocabulary: [(token: String, score: Double)]
    /// The id of the unknown token, if any.
    public let unknownTokenId: Int32?
    /// Turn unknown pieces into byte tokens (`<0xE2>`).
    public let byteFallback: Bool

    private let ids: [String: Int32]
    private let trie: ScalarTrie
    private let unknownScore: Double
    private let byteIds: [Int32]?

    /// A Unigram model.
    ///
    /// - Throws: ``TokenizerError/invalidValue(file:path:expected:found:)`` when `unknownTokenId` is not an id of
    ///   the vocabulary.
    public init(vocabulary: [(token: String, score: Double)], unknownTokenId: Int32?, byteFallback: Bool = false,
                source: String = "Unigram") throws(TokenizerError) {
        if let unk = unknownTokenId, unk < 0 || Int(unk) >= vocabulary.count {
            throw .invalidValue(file: source, path: "model.unk_id", expected: "an id below \(vocabulary.count)",
                                found: "\(unk)")
        }
        self.vocabulary = vocabulary
        self.unknownTokenId = unknownTokenId
        self.byteFallback = byteFallback
        var ids = [String: Int32](minimumCapacity: vocabulary.count)
        var minScore = Double.infinity
        for (i, entry) in vocabulary.enumerated() {
            ids[entry.token] = Int32(i)
            minScore = min(minScore, entry.score)
        }
        self.ids = ids
        self.unknownScore = (vocabulary.isEmpty ? 0 : minScore) - 10
        self.trie = ScalarTrie(ids.lazy.filter { !$0.key.isEmpty }.map { (key: Array($0.key.unicodeScalars), value: $0.value) })
        if byteFallback {
            let bytes = (0..<256).compactMap { ids[Self.byteToken(UInt8($0))] }
            self.byteIds = bytes.count == 256 ? bytes : nil
        } else {
            self.byteIds = nil
        }
    }

    /// `<0x41>`: the token of a byte, as byte fallback names it.
    static func byteToken(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "<0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 15)])>"
    }

    public var vocabularySize: Int { vocabulary.count }

    public func tokenToId(_ token: String) -> Int32? { ids[token] }

    public func idToToken(_ id: Int32) -> String? {
        id >= 0 && Int(id) < vocabulary.count ? vocabulary[Int(id)].token : nil
    }

    public func tokenize(_ word: ArraySlice<Unicode.Scalar>, into tokens: inout [ModelToken]) {
        let base = word.startIndex
        let n = word.count
        // The best path ending at each position: its score, where its last piece starts (-1: none yet), its id.
        var score = [Double](repeating: 0, count: n + 1)
        var startsAt = [Int](repeating: -1, count: n + 1)
        var pieceId = [Int32](repeating: -1, count: n + 1)
        for start in 0..<n {
            let scoreHere = score[start]
            var hasSingle = false
            var node: Int32 = 0
            var i = start
            while i < n, let target = trie.step(from: node, word[base + i]) {
                node = target.node
                i += 1
                guard target.value >= 0 else { continue }
                let candidate = vocabulary[Int(target.value)].score + scoreHere
                if startsAt[i] < 0 || candidate > score[i] {
                    score[i] = candidate
                    startsAt[i] = start
                    pieceId[i] = target.value
                }
                if i == start + 1 { hasSingle = true }
            }
            if !hasSingle {
                let candidate = unknownScore + scoreHere
                if startsAt[start + 1] < 0 || candidate > score[start + 1] {
                    score[start + 1] = candidate
                    startsAt[start + 1] = start
                    pieceId[start + 1] = unknownTokenId ?? -2
                }
            }
        }
        // Back from the end; unknown pieces fuse (a piece with the unknown token's id counts as unknown, as in
        // tokenizers, even when the text spelled the token).
        let unknown = unknownTokenId ?? -2
        var pieces = [(range: Range<Int>, id: Int32)]()
        var end = n
        while end > 0 {
            let start = startsAt[end]
            if pieceId[end] == unknown, let last = pieces.last, last.id == unknown, last.range.lowerBound == end {
                pieces[pieces.count - 1].range = start..<last.range.upperBound
            } else {
                pieces.append((start..<end, pieceId[end]))
            }
            end = start
        }
        for piece in pieces.reversed() {
            let range = (base + piece.range.lowerBound)..<(base + piece.range.upperBound)
            if piece.id != unknown {
                tokens.append(ModelToken(id: piece.id, range: range))
                continue
            }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: word[range])
            let text = String(view)
            if let id = ids[text] {
                tokens.append(ModelToken(id: id, range: range))
            } else if let byteIds {
                for byte in text.utf8 { tokens.append(ModelToken(id: byteIds[Int(byte)], range: range)) }
            } else if let unk = unknownTokenId {
                tokens.append(ModelToken(id: unk, range: range, value: text))
            }
        }
    }
}
