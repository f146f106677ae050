import BertKitJSON
import Foundation

/// A retrieval test set in the BEIR layout (Thakur et al., 2021):
///
/// - `corpus.jsonl`: one document a line, `{"_id": …, "title": …, "text": …}`;
/// - `queries.jsonl`: one query a line, `{"_id": …, "text": …}`;
/// - `qrels/test.tsv`: `query-id`, `corpus-id`, `score`, with a header line.
///
/// The queries and judgements are read whole; the corpus is only streamed (``documents(batchSize:_:)``),
/// so that its size is bounded by the disk, not by memory. Ids are strings (numbers are read as their
/// decimal text). A document is its title and text joined by a space, as BEIR embeds it (the text alone
/// when the title is empty).
public struct BEIRFolder {
    public let folder: URL
    /// The queries that have at least one relevant document (score > 0), in file order: the ones
    /// sentence-transformers' `InformationRetrievalEvaluator` evaluates.
    public let queries: [(id: String, text: String)]
    /// Each evaluated query's relevant documents.
    public let relevant: [String: Set<String>]
    /// How many documents the corpus holds (every id checked unique).
    public let documentCount: Int

    public var corpusURL: URL { folder.appending(path: "corpus.jsonl") }
    public var queriesURL: URL { folder.appending(path: "queries.jsonl") }
    public var qrelsURL: URL { folder.appending(path: "qrels/test.tsv") }

    /// Reads the queries and judgements and checks the corpus's ids (one streamed pass, ids only kept):
    ///
    /// - Throws: ``DataError`` naming the file and line: a line that is not a JSON object with a
    ///   string `_id` and `text`, a duplicate id, a judgement naming an id that is not in the
    ///   queries or the corpus, a malformed judgement line; or no query with a relevant document.
    public init(_ folder: URL) throws(DataError) {
        self.folder = folder
        let documentIDs = try Self.readIDs(folder.appending(path: "corpus.jsonl"))
        documentCount = documentIDs.count
        var allQueries: [(id: String, text: String)] = []
        let queryLines = try Self.readIDs(folder.appending(path: "queries.jsonl")) { allQueries.append(($0, $1)) }

        var relevant: [String: Set<String>] = [:]
        var qrels = try LineStream(folder.appending(path: "qrels/test.tsv"))
        var sawHeader = false
        while let next = try qrels.next() {
            let (line, text) = next
            if text.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = text.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if !sawHeader {
                sawHeader = true
                guard fields.count >= 2, fields[0] == "query-id", fields[1] == "corpus-id" else {
                    throw .malformedRow(file: qrels.name, line: line, expected: "the header query-id<TAB>corpus-id<TAB>score",
                                        found: "\"\(text.prefix(60))\"")
                }
                continue
            }
            guard fields.count == 3 || fields.count == 2 else {
                throw .malformedRow(file: qrels.name, line: line, expected: "3 tab-separated fields (query-id, corpus-id, score)",
                                    found: "\(fields.count)")
            }
            let (query, document) = (fields[0], fields[1])
            guard queryLines[query] != nil else {
                throw .malformedRow(file: qrels.name, line: line, expected: "a query-id of queries.jsonl", found: "unknown id \"\(query)\"")
            }
            guard documentIDs[document] != nil else {
                throw .malformedRow(file: qrels.name, line: line, expected: "a corpus-id of corpus.jsonl", found: "unknown id \"\(document)\"")
            }
            let score = fields.count == 3 ? Double(fields[2]) : 1
            guard let score, score.isFinite else {
                throw .malformedRow(file: qrels.name, line: line, expected: "a numeric score", found: "\"\(fields[2])\"")
            }
            if score > 0 { relevant[query, default: []].insert(document) }
        }
        if !sawHeader { throw .emptyFile(file: qrels.name) }
        queries = allQueries.filter { relevant[$0.id] != nil }
        guard !queries.isEmpty else {
            throw .noExamples(file: qrels.name + " (no query has a document with a score above 0)")
        }
        self.relevant = relevant
    }

    /// The line of each `_id` of a corpus or queries file, refusing a repeated id and a file without
    /// records; `each` sees every record's id and text in order.
    private static func readIDs(_ url: URL, each: (String, String) -> Void = { _, _ in }) throws(DataError) -> [String: Int] {
        var lines: [String: Int] = [:]
        var stream = try LineStream(url)
        while let next = try stream.next() {
            let (line, text) = next
            guard let record = try record(text, line: line, file: stream.name) else { continue }
            if let first = lines.updateValue(line, forKey: record.id) {
                throw .malformedRow(file: stream.name, line: line, expected: "a new _id", found: "\"\(record.id)\" again (first on line \(first))")
            }
            each(record.id, record.text)
        }
        if lines.isEmpty { throw .noExamples(file: stream.name) }
        return lines
    }

    /// Streams the corpus in order, `batchSize` documents at a time: ids and texts.
    public func documents(batchSize: Int, _ body: ([String], [String]) throws -> Void) throws {
        var stream = try LineStream(corpusURL)
        var ids: [String] = [], texts: [String] = []
        while let next = try stream.next() {
            let (line, text) = next
            guard let document = try BEIRFolder.record(text, line: line, file: stream.name) else { continue }
            ids.append(document.id)
            texts.append(document.title.isEmpty ? document.text : document.title + " " + document.text)
            if ids.count == batchSize {
                try body(ids, texts)
                ids.removeAll(keepingCapacity: true)
                texts.removeAll(keepingCapacity: true)
            }
        }
        if !ids.isEmpty { try body(ids, texts) }
    }

    /// One line of corpus.jsonl or queries.jsonl; nil for a blank line.
    static func record(_ text: String, line: Int, file: String) throws(DataError) -> (id: String, title: String, text: String)? {
        if text.allSatisfy({ $0 == " " || $0 == "\t" }) { return nil }
        let value: JSONValue
        do throws(JSONSyntaxError) { value = try JSONValue.parse(Array(text.utf8)) } catch {
            throw .malformedRow(file: file, line: line, expected: "a JSON object", found: "invalid JSON at column \(error.column): \(error.message)")
        }
        guard let object = value.objectValue else {
            throw .malformedRow(file: file, line: line, expected: "a JSON object", found: value.kindName)
        }
        func string(_ key: String, required: Bool) throws(DataError) -> String {
            switch object[key] {
            case .string(let s)?: return s
            case .int(let i)?: return String(i)
            case nil, .null?:
                if required { throw .malformedRow(file: file, line: line, expected: "a \"\(key)\" field", found: "none") }
                return ""
            case let other?: throw .malformedRow(file: file, line: line, expected: "\"\(key)\" as a string", found: other.kindName)
            }
        }
        let id = try string("_id", required: true)
        guard !id.isEmpty else { throw .malformedRow(file: file, line: line, expected: "a non-empty \"_id\"", found: "\"\"") }
        return (id, try string("title", required: false), try string("text", required: true))
    }
}
