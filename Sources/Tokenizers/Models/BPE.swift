/// Byte-pair encoding (GPT-2, RoBERTa, Llama, …), as Hugging Face `tokenizers`' `BPE`.
///
/// A word starts as one symbol per scalar (with `continuingSubwordPrefix` on all but the first and
/// `endOfWordSuffix` on the last, when set); then the adjacent pair with the lowest merge rank is merged, leftmost
/// first, until no pair has a merge. A scalar missing from the vocabulary becomes its byte tokens (`<0x41>`) with
/// `byteFallback`, else the unknown token (consecutive ones fused with `fuseUnknown`), else nothing. With
/// `ignoreMerges`, a word that is itself in the vocabulary is one token. Dropout is a training device and is
/// ignored, as at inference.
public struct BPE: TokenizerModel {
    /// The unknown token, if any.
    public let unknownToken: String?
    /// The prefix of symbols that continue a word (`##`), if any.
    public let continuingSubwordPrefix: String?
    /// The suffix of the symbol that ends a word (`</w>`), if any.
    public let endOfWordSuffix: String?
    /// Fuse consecutive unknown symbols into one unknown token.
    public let fuseUnknown: Bool
    /// Turn unknown scalars into byte tokens.
    public let byteFallback: Bool
    /// Look a whole word up in the vocabulary before merging.
    public let ignoreMerges: Bool

    private let vocabulary: [String: Int32]
    private let tokensById: [String?]
    /// (left id << 32 | right id) → merge rank and the id of the merged token.
    private let merges: [UInt64: (rank: Int32, id: Int32)]
    /// Ids of single-scalar symbols: plain, with the prefix, with the suffix, with both.
    private let scalarIds: [[UInt32: Int32]]
    private let byteIds: [Int32?]
    private let unknownId: Int32?

    /// A BPE model. Merges are pairs of tokens, in rank order; a later duplicate pair wins, as in `tokenizers`.
    ///
    /// - Throws: ``TokenizerError/unknownToken(file:path:token:)`` when a merge names a token (or makes one) that
    ///   is not in the vocabulary.
    public init(
        vocabulary: [String: Int32], merges: [(String, String)], unknownToken: String? = nil,
        continuingSubwordPrefix: String? = nil, endOfWordSuffix: String? = nil, fuseUnknown: Bool = false,
        byteFallback: Bool = false, ignoreMerges: Bool = false, source: String = "BPE"
    ) throws(TokenizerError) {
        self.vocabulary = vocabulary
        self.unknownToken = unknownToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.endOfWordSuffix = endOfWordSuffix
        self.fuseUnknown = fuseUnknown
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        let maxId = vocabulary.values.max() ?? -1
        var byId = [String?](repeating: nil, count: Int(maxId) + 1)
        for (token, id) in vocabulary where id >= 0 { byId[Int(id)] = token }
        self.tokensById = byId
        self.unknownId = unknownToken.flatMap { vocabulary[$0] }

        let prefix = continuingSubwordPrefix ?? ""
        var mergeMap = [UInt64: (rank: Int32, id: Int32)](minimumCapacity: merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            let path = "model.merges[\(rank)]"
            guard let left = vocabulary[a] else { throw .unknownToken(file: source, path: path, token: a) }
            guard let right = vocabulary[b] else { throw .unknownToken(file: source, path: path, token: b) }
            // tokenizers drops the prefix's length in bytes from the right token, whatever it starts with.
            let rightBytes = Array(b.utf8)
            guard rightBytes.count >= prefix.utf8.count,
                  let rest = String(validating: rightBytes[prefix.utf8.count...], as: UTF8.self) else {
                throw .invalidValue(file: source, path: path, expected: "a right token longer than the prefix",
                                    found: "\"\(b)\"")
            }
            guard let merged = vocabulary[a + rest] else { throw .unknownToken(file: source, path: path, token: a + rest) }
            mergeMap[UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))] = (Int32(rank), merged)
        }
        self.merges = mergeMap

        // The symbols `merge_word` looks up: a scalar, with the prefix (not first), with the suffix (last), both.
        var scalarIds = [[UInt32: Int32]](repeating: [:], count: 4)
        let suffix = endOfWordSuffix ?? ""
        let prefixScalars = Array(prefix.unicodeScalars)
        let suffixScalars = Array(suffix.unicodeScalars)
        for (token, id) in vocabulary {
            let scalars = Array(token.unicodeScalars)
            if scalars.count == 1 { scalarIds[0][scalars[0].value] = id }
            let hasPrefix = !prefixScalars.isEmpty && scalars.starts(with: prefixScalars)
            let hasSuffix = !suffixScalars.isEmpty && scalars.reversed().starts(with: suffixScalars.reversed())
            if hasPrefix && scalars.count == prefixScalars.count + 1 { scalarIds[1][scalars.last!.value] = id }
            if hasSuffix && scalars.count == suffixScalars.count + 1 { scalarIds[2][scalars[0].value] = id }
            if hasPrefix && hasSuffix && scalars.count == prefixScalars.count + suffixScalars.count + 1 {
                scalarIds[3][scalars[prefixScalars.count].value] = id
            }
        }
        if prefixScalars.isEmpty { scalarIds[1] = scalarIds[0] }
        if suffixScalars.isEmpty {
            scalarIds[2] = scalarIds[0]
            scalarIds[3] = scalarIds[1]
        } else if prefixScalars.isEmpty {
            scalarIds[3] = scalarIds[2]
        }
        self.scalarIds = scalarIds
        self.byteIds = (0..<256).map { vocabulary[Unigram.byteToken(UInt8($0))] }
    }

    public var vocabularySize: Int { vocabulary.count }

    public func tokenToId(_ token: String) -> Int32? { vocabulary[token] }

    public func idToToken(_ id: Int32) -> String? {
        id >= 0 && Int(id) < tokensById.count ? tokensById[Int(id)] : nil
    }

    /// The vocabulary, token to id.
    public var tokens: [String: Int32] { vocabulary }

    /// One symbol of a word being merged: a token id, the scalars it covers, and its neighbours (-1: none).
    private struct Symbol {
        var id: Int32
        var range: Range<Int>
        var previous: Int
        var next: Int
        var removed = false
    }

    public func tokenize(_ word: ArraySlice<Unicode.Scalar>, into tokens: inout [ModelToken]) {
        if ignoreMerges {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: word)
            if let id = vocabulary[String(view)] {
                tokens.append(ModelToken(id: id, range: word.startIndex..<word.endIndex))
                return
            }
        }
        var symbols = [Symbol]()
        symbols.reserveCapacity(word.count)
        func add(_ id: Int32, _ range: Range<Int>) {
            symbols.append(Symbol(id: id, range: range, previous: symbols.count - 1, next: symbols.count + 1))
        }
        var pendingUnknown: (id: Int32, range: Range<Int>)?
        for i in word.indices {
            let kind = (i == word.startIndex ? 0 : 1) | (i == word.endIndex - 1 ? 2 : 0)
            let range = i..<(i + 1)
            if let id = scalarIds[kind][word[i].value] {
                if let u = pendingUnknown { add(u.id, u.range); pendingUnknown = nil }
                add(id, range)
                continue
            }
            if byteFallback, let ids = byteTokens(of: word[i], kind: kind) {
                if let u = pendingUnknown { add(u.id, u.range); pendingUnknown = nil }
                // Byte tokens span their scalar: a partial character maps to the whole character in offsets.
                for id in ids { add(id, range) }
                continue
            }
            guard let unk = unknownId else { continue }
            if let u = pendingUnknown {
                if fuseUnknown {
                    pendingUnknown = (u.id, u.range.lowerBound..<range.upperBound)
                } else {
                    add(u.id, u.range)
                    pendingUnknown = (unk, range)
                }
            } else {
                pendingUnknown = (unk, range)
            }
        }
        if let u = pendingUnknown { add(u.id, u.range) }
        guard !symbols.isEmpty else { return }
        symbols[symbols.count - 1].next = -1
        mergeAll(&symbols)
        for s in symbols where !s.removed { tokens.append(ModelToken(id: s.id, range: s.range)) }
    }

    /// The byte tokens of the symbol for `scalar` (its text with prefix and suffix, byte by byte), if all exist.
    private func byteTokens(of scalar: Unicode.Scalar, kind: Int) -> [Int32]? {
        var text = String(scalar)
        if kind & 1 != 0, let prefix = continuingSubwordPrefix { text = prefix + text }
        if kind & 2 != 0, let suffix = endOfWordSuffix { text += suffix }
        var ids = [Int32]()
        for byte in text.utf8 {
            guard let id = byteIds[Int(byte)] else { return nil }
            ids.append(id)
        }
        return ids
    }

    @inline(__always)
    private func merge(_ left: Int32, _ right: Int32) -> (rank: Int32, id: Int32)? {
        merges[UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))]
    }

    /// `Word::merge_all` of `tokenizers`: a queue of candidate merges ordered by rank then position; stale entries
    /// (the pair changed since) are skipped.
    private func mergeAll(_ symbols: inout [Symbol]) {
        var queue = MergeQueue()
        for i in 0..<(symbols.count - 1) {
            if let m = merge(symbols[i].id, symbols[i + 1].id) { queue.push(.init(rank: m.rank, position: i, id: m.id)) }
        }
        while let top = queue.pop() {
            let current = symbols[top.position]
            if current.removed || current.next < 0 { continue }
            let nextPosition = current.next
            let right = symbols[nextPosition]
            guard let m = merge(current.id, right.id), m.id == top.id else { continue }
            symbols[top.position].id = top.id
            symbols[top.position].range = current.range.lowerBound..<right.range.upperBound
            symbols[top.position].next = right.next
            symbols[nextPosition].removed = true
            if right.next >= 0 { symbols[right.next].previous = top.position }
            let merged = symbols[top.position]
            if merged.previous >= 0, let m = merge(symbols[merged.previous].id, merged.id) {
                queue.push(.init(rank: m.rank, position: merged.previous, id: m.id))
            }
            if merged.next >= 0, let m = merge(merged.id, symbols[merged.next].id) {
                queue.push(.init(rank: m.rank, position: top.position, id: m.id))
            }
        }
    }
}

/// A binary min-heap of candidate merges, by rank then position.
private struct MergeQueue {
    struct Entry {
        var rank: Int32
        var position: Int
        var id: Int32

        @inline(__always)
        static func < (a: Entry, b: Entry) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.position < b.position
        }
    }

    private var heap = [Entry]()

    mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return first }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            var smallest = left
            if left + 1 < heap.count && heap[left + 1] < heap[left] { smallest = left + 1 }
            guard heap[smallest] < heap[parent] else { break }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
        return first
    }
}
