import Foundation

/// Sentences of tagged words for token classification, read from CoNLL-U or CoNLL-2003 style files.
///
/// ```swift
/// let train = try TaggingDataset.read(URL(fileURLWithPath: "en_ewt-ud-train.conllu"))   // UPOS
/// let tags = train.tagSet()                                                            // 17 tags
/// let dev = try TaggingDataset.read(URL(fileURLWithPath: "en_ewt-ud-dev.conllu"), tags: tags)
/// ```
public struct TaggingDataset: Sendable, Hashable {
    /// The file the sentences came from, as given, for messages; or a name for data made in memory.
    public var source: String
    /// The sentences, in file order.
    public var sentences: [TaggedSentence]

    public init(sentences: [TaggedSentence], source: String = "<memory>") {
        self.sentences = sentences
        self.source = source
    }

    /// The number of sentences.
    public var count: Int { sentences.count }

    /// The number of words in all sentences.
    public var wordCount: Int { sentences.reduce(0) { $0 + $1.words.count } }

    /// The distinct tags, sorted, without ``TaggedSentence/unannotated``.
    public func tagSet() -> LabelSet {
        var tags = Set<String>()
        for sentence in sentences { tags.formUnion(sentence.tags) }
        tags.remove(TaggedSentence.unannotated)
        return LabelSet(collecting: tags)
    }

    /// The id of each word's tag, nil for ``TaggedSentence/unannotated`` words.
    ///
    /// - Throws: ``DataError/unknownLabel(file:line:label:known:)`` for a tag not in `tags`, naming
    ///   the line of the sentence's first word.
    public func tagIDs(in tags: LabelSet) throws(DataError) -> [[Int?]] {
        var result: [[Int?]] = []
        result.reserveCapacity(sentences.count)
        for sentence in sentences {
            var ids: [Int?] = []
            ids.reserveCapacity(sentence.tags.count)
            for tag in sentence.tags {
                if tag == TaggedSentence.unannotated { ids.append(nil); continue }
                guard let id = tags.id(of: tag) else {
                    throw .unknownLabel(file: source, line: sentence.line ?? 0, label: tag, known: tags.labels)
                }
                ids.append(id)
            }
            result.append(ids)
        }
        return result
    }

    /// Reads the sentences of a tagging file.
    ///
    /// - Parameters:
    ///   - format: the format; by default ``TaggingFormat/upos`` for `.conllu` files and
    ///     ``TaggingFormat/conll2003`` for others.
    ///   - tags: the tags a model knows; when given, any other tag is an error naming its line.
    /// - Throws: ``DataError`` naming the file and line for every problem in the file.
    public static func read(_ url: URL, format: TaggingFormat? = nil, tags: LabelSet? = nil) throws(DataError) -> TaggingDataset {
        try read(TextFile.read(url), format: format ?? .detect(url), tags: tags)
    }

    /// Reads sentences from the text of a tagging file; `name` stands for the file in messages.
    public static func parse(_ text: String, name: String, format: TaggingFormat, tags: LabelSet? = nil) throws(DataError) -> TaggingDataset {
        try read(TextFile(name: name, bytes: Array(text.utf8)), format: format, tags: tags)
    }

    private static func read(_ file: TextFile, format: TaggingFormat, tags: LabelSet?) throws(DataError) -> TaggingDataset {
        if file.isEmpty { throw .emptyFile(file: file.name) }
        let bytes = file.bytes
        var sentences: [TaggedSentence] = []
        var words: [String] = []
        var labels: [String] = []
        var firstLine = 0
        func endSentence() {
            if !words.isEmpty { sentences.append(TaggedSentence(words: words, tags: labels, line: firstLine)) }
            words.removeAll(keepingCapacity: true)
            labels.removeAll(keepingCapacity: true)
        }
        func add(_ word: String, _ tag: String, _ line: Int) throws(DataError) {
            let tag = try LabelName.checked(tag, file: file.name, line: line)
            if let tags, tag != TaggedSentence.unannotated, !tags.contains(tag) {
                throw .unknownLabel(file: file.name, line: line, label: tag, known: tags.labels)
            }
            if words.isEmpty { firstLine = line }
            words.append(word)
            labels.append(tag)
        }

        switch format {
        case .conllu(let tagField):
            precondition((1...10).contains(tagField), "CoNLL-U tag field \(tagField) outside 1...10")
            try file.forEachLine { (line: Int, range: Range<Int>) throws(DataError) in
                if file.isBlank(range) { endSentence(); return }
                if bytes[range.lowerBound] == UInt8(ascii: "#") { return }
                var fields: [Range<Int>] = []
                var start = range.lowerBound
                for i in range where bytes[i] == 0x09 {
                    fields.append(start..<i)
                    start = i + 1
                }
                fields.append(start..<range.upperBound)
                guard fields.count == 10 else {
                    throw .malformedRow(file: file.name, line: line, expected: "10 tab-separated fields (CoNLL-U)",
                                        found: "\(fields.count)")
                }
                switch Self.conlluID(file.string(fields[0])) {
                case .word: break
                case .multiwordToken, .emptyNode: return
                case nil:
                    throw .malformedRow(file: file.name, line: line, expected: "a word id (1, 2, …, or 3-4, or 8.1) in field 1",
                                        found: "\"\(file.string(fields[0]))\"")
                }
                let word = file.string(fields[1])
                let tag = file.string(fields[tagField - 1])
                if word.isEmpty || tag.isEmpty {
                    throw .malformedRow(file: file.name, line: line, expected: "a word in field 2 and a tag in field \(tagField)",
                                        found: "an empty field")
                }
                try add(word, tag, line)
            }
        case .columns(let tagField):
            try file.forEachLine { (line: Int, range: Range<Int>) throws(DataError) in
                var fields: [Range<Int>] = []
                var start: Int?
                for i in range {
                    let white = bytes[i] == 0x20 || bytes[i] == 0x09
                    if white, let s = start { fields.append(s..<i); start = nil }
                    else if !white, start == nil { start = i }
                }
                if let s = start { fields.append(s..<range.upperBound) }
                if fields.isEmpty { endSentence(); return }
                let word = file.string(fields[0])
                if word == "-DOCSTART-" { endSentence(); return }
                let tagIndex = tagField.map { $0 - 1 } ?? fields.count - 1
                guard fields.count >= 2, fields.indices.contains(tagIndex), tagIndex > 0 else {
                    let wanted = tagField.map { "a tag in field \($0)" } ?? "a word and a tag separated by white space"
                    throw .malformedRow(file: file.name, line: line, expected: wanted, found: "\(fields.count) field(s)")
                }
                try add(word, file.string(fields[tagIndex]), line)
            }
        }
        endSentence()
        if sentences.isEmpty { throw .noExamples(file: file.name) }
        return TaggingDataset(sentences: sentences, source: file.name)
    }

    enum CoNLLUID { case word, multiwordToken, emptyNode }

    /// What a CoNLL-U id field holds: a word (`3`), a multiword token (`3-4`, first ≤ last) or an
    /// empty node (`8.1`); nil for anything else (`-1`, `0`, `3-`, `4-3`, `1.0`).
    static func conlluID(_ id: String) -> CoNLLUID? {
        func number(_ s: Substring) -> Int? { s.isEmpty || !s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } ? nil : Int(s) }
        let range = id.split(separator: "-", omittingEmptySubsequences: false)
        let node = id.split(separator: ".", omittingEmptySubsequences: false)
        if range.count == 1 && node.count == 1 { return (number(Substring(id)) ?? 0) >= 1 ? .word : nil }
        if range.count == 2, let first = number(range[0]), let last = number(range[1]), first >= 1, first <= last { return .multiwordToken }
        if node.count == 2, number(node[0]) != nil, let sub = number(node[1]), sub >= 1 { return .emptyNode }
        return nil
    }
}
