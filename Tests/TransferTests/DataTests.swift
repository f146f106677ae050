import Foundation
import TestSupport
@testable import Transfer
import XCTest

/// A fresh folder for one test's files, removed when the test ends.
final class TemporaryFolder {
    let url: URL

    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-data-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` (or `bytes`) to a file named `name` in the folder.
    @discardableResult
    func write(_ name: String, _ text: String) -> URL { write(name, bytes: Array(text.utf8)) }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) -> URL {
        let file = url.appendingPathComponent(name)
        try! Data(bytes).write(to: file)
        return file
    }
}

/// Runs `body`, which must throw a `DataError`, and returns it.
func dataError<T>(_ body: () throws(DataError) -> T, file: StaticString = #filePath, line: UInt = #line) -> DataError? {
    do {
        _ = try body()
        XCTFail("expected a DataError", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

final class ClassificationDataTests: XCTestCase {
    func testTSVWithTextAndLabelColumns() throws {
        let folder = TemporaryFolder()
        let url = folder.write("train.tsv", "text\tlabel\nA fine film.\tpositive\nDull \"and\" slow.\tnegative\n")
        let data = try ClassificationDataset.read(url)
        XCTAssertEqual(data.examples, [
            ClassificationExample(text: "A fine film.", label: "positive", line: 2),
            ClassificationExample(text: "Dull \"and\" slow.", label: "negative", line: 3),
        ])
        XCTAssertEqual(data.columns, .init(text: "text", pair: nil, label: "label"))
        XCTAssertEqual(data.labelSet().labels, ["negative", "positive"])
        XCTAssertEqual(try data.labelIDs(in: data.labelSet()), [1, 0])
    }

    func testTextColumnIsFoundByNameOrAsTheOnlyOtherColumn() throws {
        let cases: [(header: String, row: String, text: String)] = [
            ("label\tsentence", "1\tgood", "sentence"),   // SST-2 train
            ("label\tcontent", "1\tgood", "content"),     // SST-2 dev
            ("review\tLabel", "good\t1", "review"),
            ("phrase\tlabel", "good\t1", "phrase"),       // two columns: the one that is not the label
            ("id\tText\tlabel", "7\tgood\t1", "Text"),
        ]
        for c in cases {
            let data = try ClassificationDataset.parse("\(c.header)\n\(c.row)\n", name: "t.tsv", format: .tsv)
            XCTAssertEqual(data.columns?.text, c.text, c.header)
            XCTAssertEqual(data.examples.first?.text, "good", c.header)
            XCTAssertEqual(data.examples.first?.label, .single("1"), c.header)
        }
    }

    func testPairColumnsAreFoundAndCanBeNamed() throws {
        let auto = try ClassificationDataset.parse("sentence1\tsentence2\tlabel\nA\tB\tentailment\n", name: "p.tsv", format: .tsv)
        XCTAssertEqual(auto.examples, [ClassificationExample(text: "A", pair: "B", label: "entailment", line: 2)])
        let named = try ClassificationDataset.parse(
            "q,a,y\nWhy?,Because.,yes\n", name: "p.csv", format: .csv,
            columns: ClassificationColumns(text: "q", pair: "a", label: "y"))
        XCTAssertEqual(named.examples, [ClassificationExample(text: "Why?", pair: "Because.", label: "yes", line: 2)])
    }

    func testLineEndingsByteOrderMarkAndBlankLines() throws {
        let folder = TemporaryFolder()
        let url = folder.write("crlf.tsv", bytes: [0xEF, 0xBB, 0xBF] + Array("text\tlabel\r\nOne\ta\r\n\r\nTwo\tb\rThree\ta".utf8))
        let data = try ClassificationDataset.read(url)
        XCTAssertEqual(data.examples.map(\.text), ["One", "Two", "Three"])
        XCTAssertEqual(data.examples.map(\.line), [2, 4, 5])
        XCTAssertEqual(data.columns?.text, "text")
    }

    func testCSVQuoting() throws {
        let csv = """
        text,label
        "Hello, world",pos
        "She said ""no"".",neg
        "two
        lines",pos
        plain,neg

        """
        let data = try ClassificationDataset.parse(csv, name: "q.csv", format: .csv)
        XCTAssertEqual(data.examples.map(\.text), ["Hello, world", "She said \"no\".", "two\nlines", "plain"])
        XCTAssertEqual(data.examples.map(\.line), [2, 3, 4, 6])
    }

    func testJSONLines() throws {
        let jsonl = """
        {"text": "good", "label": "pos"}
        {"label": 1, "text": "bad"}

        {"text": "fine", "label": true, "extra": [1, 2]}
        """
        let data = try ClassificationDataset.parse(jsonl, name: "d.jsonl", format: .jsonLines)
        XCTAssertEqual(data.examples.map(\.label), [.single("pos"), .single("1"), .single("true")])
        XCTAssertEqual(data.examples.map(\.line), [1, 2, 4])
    }

    func testMultiLabel() throws {
        let tsv = try ClassificationDataset.parse("text\tlabels\na\tsports | politics\nb\t\nc\tart|art\n", name: "m.tsv",
                                                  format: .tsv, labelKind: .multiple(separator: "|"))
        XCTAssertEqual(tsv.examples.map(\.label), [.multiple(["sports", "politics"]), .multiple([]), .multiple(["art"])])
        let labels = tsv.labelSet()
        XCTAssertEqual(labels.labels, ["art", "politics", "sports"])
        XCTAssertEqual(try tsv.multiHotTargets(in: labels), [[0, 1, 1], [0, 0, 0], [1, 0, 0]])

        let jsonl = try ClassificationDataset.parse("{\"text\": \"a\", \"labels\": [\"x\", 3]}\n{\"text\": \"b\", \"labels\": \"y;x\"}\n",
                                                    name: "m.jsonl", format: .jsonLines, labelKind: .multiple(separator: ";"))
        XCTAssertEqual(jsonl.examples.map(\.label), [.multiple(["x", "3"]), .multiple(["y", "x"])])
    }

    func testRegression() throws {
        let data = try ClassificationDataset.parse("sentence1\tsentence2\tscore\na\tb\t4.5\nc\td\t0\n", name: "r.tsv", format: .tsv,
                                                   columns: ClassificationColumns(label: "score"), labelKind: .regression)
        XCTAssertEqual(data.regressionTargets(), [4.5, 0])
        XCTAssertTrue(data.labelSet().isEmpty)
        let jsonl = try ClassificationDataset.parse("{\"text\": \"a\", \"label\": 2}\n", name: "r.jsonl", format: .jsonLines,
                                                    labelKind: .regression)
        XCTAssertEqual(jsonl.regressionTargets(), [2])
    }

    func testFormatIsChosenByExtension() throws {
        let folder = TemporaryFolder()
        let cases: [(String, String)] = [
            ("a.tsv", "text\tlabel\nx, y\tp\n"), ("a.csv", "text,label\n\"x, y\",p\n"),
            ("a.jsonl", "{\"text\": \"x, y\", \"label\": \"p\"}\n"), ("a.JSON", "{\"text\": \"x, y\", \"label\": \"p\"}\n"),
        ]
        for (name, content) in cases {
            let data = try ClassificationDataset.read(folder.write(name, content))
            XCTAssertEqual(data.examples.map(\.text), ["x, y"], name)
        }
        // Overriding the extension.
        let data = try ClassificationDataset.read(folder.write("a.txt", "text,label\nx,p\n"), format: .csv)
        XCTAssertEqual(data.count, 1)
    }

    func testUnknownLabelAtEvaluationNamesFileAndLine() throws {
        let folder = TemporaryFolder()
        let labels = LabelSet(["negative", "positive"])
        let url = folder.write("dev.tsv", "text\tlabel\nok\tpositive\nmeh\tneutral\n")
        let error = dataError { () throws(DataError) in try ClassificationDataset.read(url, labels: labels) }
        XCTAssertEqual(error, .unknownLabel(file: url.relativePath, line: 3, label: "neutral", known: ["negative", "positive"]))
        XCTAssertTrue(error!.description.hasSuffix("dev.tsv:3: unknown label \"neutral\"; the labels known are: negative, positive"),
                      error!.description)

        // The same check after reading, from the remembered lines.
        let data = try ClassificationDataset.read(url)
        XCTAssertEqual(dataError { () throws(DataError) in try data.labelIDs(in: labels) }?.line, 3)
        XCTAssertEqual(dataError { () throws(DataError) in try data.validate(against: labels) }?.line, 3)
    }

    /// `0`, `0.0`, `00` and `+0` are one class; so are `1` and `1.0`.
    func testNumericLabelsCompareAsNumbers() throws {
        let data = try ClassificationDataset.parse("text\tlabel\na\t0\nb\t1\nc\t0.0\nd\t1.0\ne\t00\nf\t+1\ng\t0.50\n",
                                                   name: "t.tsv", format: .tsv)
        XCTAssertEqual(data.labelSet().labels, ["0", "0.5", "1"])
        XCTAssertEqual(try data.labelIDs(in: data.labelSet()), [0, 2, 0, 2, 0, 2, 1])
        let json = try ClassificationDataset.parse("{\"text\": \"a\", \"label\": 1.0}\n{\"text\": \"b\", \"label\": 1}\n",
                                                   name: "t.jsonl", format: .jsonLines)
        XCTAssertEqual(json.labelSet().labels, ["1"])
        XCTAssertEqual(try ClassificationDataset.parse("text\tlabel\na\tB-1.0\n", name: "t.tsv", format: .tsv).labelSet().labels, ["B-1.0"])
    }

    /// A label with a NUL byte or another control character is an error naming its line.
    func testLabelsWithControlCharactersAreErrors() {
        for (label, kind) in [("pos\u{0}", LabelKind.single), ("neg\u{1}itive", .single), ("a,b\u{7f}", .multiple(separator: ","))] {
            let error = dataError { () throws(DataError) in
                try ClassificationDataset.parse("text\tlabel\nok\tpos\nbad\t\(label)\n", name: "t.tsv", format: .tsv, labelKind: kind)
            }
            XCTAssertEqual(error?.line, 3, "\(label)")
            XCTAssertTrue(error?.description.contains("control characters") ?? false, "\(String(describing: error))")
        }
    }

    func testDataMadeInMemoryHasNoLineInErrors() {
        let data = ClassificationDataset(examples: [ClassificationExample(text: "a", label: "x")], source: "mine")
        let error = dataError { () throws(DataError) in try data.labelIDs(in: LabelSet(["y"])) }
        XCTAssertNil(error?.line)
        XCTAssertEqual(error?.description, "mine: unknown label \"x\"; the labels known are: y")
    }

    /// Every malformed input gives a typed error naming the file and, where there is one, the line.
    func testErrorsNameFileAndLine() {
        struct Case {
            var name: String
            var file: String
            var content: String
            var kind: LabelKind = .single
            var columns: ClassificationColumns = .automatic
            var line: Int?
            var says: String
        }
        let cases: [Case] = [
            Case(name: "wrong field count", file: "a.tsv", content: "text\tlabel\nok\tp\ntoo\tmany\tfields\n", line: 3,
                 says: "expected 2 tab-separated fields (text, label), found 3"),
            Case(name: "too few CSV fields", file: "a.csv", content: "text,label\nonly\n", line: 2,
                 says: "expected 2 comma-separated fields"),
            Case(name: "unterminated quote", file: "a.csv", content: "text,label\nok,p\n\"never closed,p\nmore,n\n", line: 3,
                 says: "expected a closing quote for the field opened on this line, found the end of the file"),
            Case(name: "text after a closing quote", file: "a.csv", content: "text,label\n\"a\"b,p\n", line: 2,
                 says: "expected a comma or the end of the line after a closing quote"),
            Case(name: "invalid JSON", file: "a.jsonl", content: "{\"text\": \"a\", \"label\": \"p\"}\n{\"text\": \"b\", label: 1}\n",
                 line: 2, says: "expected a JSON object, found invalid JSON at column"),
            Case(name: "JSON that is not an object", file: "a.jsonl", content: "[\"a\", \"p\"]\n", line: 1,
                 says: "expected a JSON object, found an array"),
            Case(name: "a pretty-printed JSON document", file: "a.json", content: "[\n  {\"text\": \"a\", \"label\": \"p\"}\n]\n", line: 1,
                 says: "expected JSON Lines: one complete JSON object per line"),
            Case(name: "a key missing from a later object", file: "a.jsonl",
                 content: "{\"text\": \"a\", \"label\": \"p\"}\n{\"text\": \"b\"}\n", line: 2, says: "no label column"),
            Case(name: "a text that is not a string", file: "a.jsonl", content: "{\"text\": 3, \"label\": \"p\"}\n", line: 1,
                 says: "expected a string in column \"text\", found the number 3"),
            Case(name: "no label column", file: "a.tsv", content: "text\tstars\ngood\t5\n", line: 1,
                 says: "no label column: looked for one of \"label\", \"labels\", \"target\", \"class\", \"sentiment\"; the columns are \"text\", \"stars\""),
            Case(name: "no text column", file: "a.tsv", content: "id\twords\tlabel\n1\tgood\tp\n", line: 1,
                 says: "no text column: looked for one of \"text\""),
            Case(name: "named column absent", file: "a.tsv", content: "text\tlabel\ngood\tp\n",
                 columns: ClassificationColumns(text: "sentence"), line: 1,
                 says: "no text column: looked for \"sentence\"; the columns are \"text\", \"label\""),
            Case(name: "empty file", file: "a.tsv", content: "", line: nil, says: "the file is empty"),
            Case(name: "blank file", file: "a.csv", content: "\n  \n", line: nil, says: "the file is empty"),
            Case(name: "header only", file: "a.tsv", content: "text\tlabel\n", line: nil, says: "the file holds no examples"),
            Case(name: "empty text", file: "a.tsv", content: "text\tlabel\nok\tp\n  \tn\n", line: 3, says: "column \"text\" is empty"),
            Case(name: "null text", file: "a.jsonl", content: "{\"text\": null, \"label\": \"p\"}\n", line: 1,
                 says: "column \"text\" is empty"),
            Case(name: "empty label", file: "a.tsv", content: "text\tlabel\nok\t\n", line: 2,
                 says: "label \"\" is not a class name"),
            Case(name: "regression label not a number", file: "a.tsv", content: "text\tlabel\nok\t4.5\nbad\thigh\n",
                 kind: .regression, line: 3, says: "label \"high\" is not a finite number"),
            Case(name: "regression label infinite", file: "a.jsonl", content: "{\"text\": \"a\", \"label\": \"inf\"}\n",
                 kind: .regression, line: 1, says: "is not a finite number"),
            Case(name: "multi-label object", file: "a.jsonl", content: "{\"text\": \"a\", \"label\": {\"x\": 1}}\n",
                 kind: .multiple(separator: "|"), line: 1, says: "is not a list of class names"),
        ]
        let folder = TemporaryFolder()
        for c in cases {
            let url = folder.write(c.file, c.content)
            guard let error = dataError({ () throws(DataError) in
                try ClassificationDataset.read(url, columns: c.columns, labelKind: c.kind)
            }) else { XCTFail(c.name); continue }
            XCTAssertEqual(error.file, url.relativePath, c.name)
            XCTAssertEqual(error.line, c.line, "\(c.name): \(error)")
            let prefix = c.line.map { "\(url.relativePath):\($0): " } ?? "\(url.relativePath): "
            XCTAssertTrue(error.description.hasPrefix(prefix), "\(c.name): \(error)")
            XCTAssertTrue(error.description.contains(c.says), "\(c.name): \(error)")
            XCTAssertEqual(error.errorDescription, error.description)
        }
    }

    func testFileErrors() {
        let folder = TemporaryFolder()
        let missing = folder.url.appendingPathComponent("absent.tsv")
        XCTAssertEqual(dataError { () throws(DataError) in try ClassificationDataset.read(missing) },
                       .unreadable(file: missing.relativePath, reason: "no such file"))

        let odd = folder.write("data.xlsx", "text,label\n")
        let error = dataError { () throws(DataError) in try ClassificationDataset.read(odd) }
        XCTAssertEqual(error, .unknownFormat(file: odd.relativePath, found: "xlsx",
                                             expected: [".tsv", ".tab", ".csv", ".jsonl", ".json", ".ndjson"]))

        let latin1 = folder.write("latin1.tsv", bytes: Array("text\tlabel\nok\tp\n".utf8) + [0x63, 0x61, 0x66, 0xE9] + Array("\tp\n".utf8))
        XCTAssertEqual(dataError { () throws(DataError) in try ClassificationDataset.read(latin1) },
                       .invalidEncoding(file: latin1.relativePath, line: 3))
    }
}

final class LabelSetTests: XCTestCase {
    func testSortingIsDeterministicAndNumericForNumbers() {
        let cases: [(input: [String], sorted: [String])] = [
            (["positive", "negative", "positive"], ["negative", "positive"]),
            (["10", "2", "1", "2"], ["1", "2", "10"]),
            (["-1", "0.5", "0"], ["-1", "0", "0.5"]),
            (["b", "B", "a", "10", "9"], ["10", "9", "B", "a", "b"]),
            ([], []),
        ]
        for c in cases {
            XCTAssertEqual(LabelSet(collecting: c.input).labels, c.sorted, "\(c.input)")
            XCTAssertEqual(LabelSet(collecting: c.input.reversed()).labels, c.sorted, "\(c.input) reversed")
        }
    }

    func testLookupAndHuggingFaceJSON() throws {
        let set = LabelSet(["negative", "positive"])
        XCTAssertEqual(set.id(of: "positive"), 1)
        XCTAssertNil(set.id(of: "neutral"))
        XCTAssertEqual(set.label(for: 0), "negative")

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(set), as: UTF8.self)
        XCTAssertEqual(json, #"{"id2label":{"0":"negative","1":"positive"},"label2id":{"negative":0,"positive":1}}"#)
        XCTAssertEqual(try JSONDecoder().decode(LabelSet.self, from: Data(json.utf8)), set)
        // id2label alone is enough, as in many config.json files.
        XCTAssertEqual(try JSONDecoder().decode(LabelSet.self, from: Data(#"{"id2label":{"1":"b","0":"a"}}"#.utf8)).labels, ["a", "b"])
    }

    func testMalformedJSONIsRejected() {
        let bad = [
            #"{"id2label":{"0":"a","2":"b"}}"#,                           // a gap
            #"{"id2label":{"0":"a","1":"a"}}"#,                           // a repeated label
            #"{"id2label":{"zero":"a"}}"#,                                // not an id
            #"{"id2label":{"0":"a","1":"b"},"label2id":{"a":1,"b":0}}"#,  // disagreeing maps
        ]
        for json in bad {
            XCTAssertThrowsError(try JSONDecoder().decode(LabelSet.self, from: Data(json.utf8)), json)
        }
    }
}

final class TaggingDataTests: XCTestCase {
    static let conllu = """
    # sent_id = 1
    # text = I don't know.
    1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_
    2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
    2\tdo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_
    3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
    3.1\tknow\tknow\tVERB\tVB\t_\t_\t_\t0:root\t_
    4\tknow\tknow\tVERB\tVB\t_\t0\troot\t_\t_
    5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

    # sent_id = 2
    1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_

    """

    func testCoNLLU() throws {
        let upos = try TaggingDataset.parse(Self.conllu, name: "a.conllu", format: .upos)
        XCTAssertEqual(upos.sentences, [
            TaggedSentence(words: ["I", "do", "n't", "know", "."], tags: ["PRON", "AUX", "PART", "VERB", "PUNCT"], line: 3),
            TaggedSentence(words: ["Hi"], tags: ["INTJ"], line: 12),
        ])
        let xpos = try TaggingDataset.parse(Self.conllu, name: "a.conllu", format: .xpos)
        XCTAssertEqual(xpos.sentences.map(\.tags), [["PRP", "VBP", "RB", "VB", "."], ["UH"]])
        XCTAssertEqual(upos.tagSet().labels, ["AUX", "INTJ", "PART", "PRON", "PUNCT", "VERB"])
        XCTAssertEqual(upos.wordCount, 6)
    }

    func testCoNLL2003() throws {
        let text = """
        -DOCSTART- -X- -X- O

        EU NNP B-NP B-ORG
        rejects VBZ B-VP O
        German JJ B-NP B-MISC

        Peter\tNNP\tB-NP\tB-PER
        Blackburn NNP I-NP I-PER
        """
        let data = try TaggingDataset.parse(text, name: "train.txt", format: .conll2003)
        XCTAssertEqual(data.sentences, [
            TaggedSentence(words: ["EU", "rejects", "German"], tags: ["B-ORG", "O", "B-MISC"], line: 3),
            TaggedSentence(words: ["Peter", "Blackburn"], tags: ["B-PER", "I-PER"], line: 7),
        ])
        let pos = try TaggingDataset.parse(text, name: "train.txt", format: .columns(tagField: 2))
        XCTAssertEqual(pos.sentences[1].tags, ["NNP", "NNP"])
    }

    func testUnannotatedTagsAreSkippedByTagSetAndIDs() throws {
        let data = try TaggingDataset.parse("1\ta\ta\tX\t_\t_\t_\t_\t_\t_\n2\tb\tb\tY\t_\t_\t_\t_\t_\t_\n",
                                            name: "u.conllu", format: .xpos)
        XCTAssertEqual(data.sentences[0].goldTags, [nil, nil])
        XCTAssertTrue(data.tagSet().isEmpty)
        XCTAssertEqual(try data.tagIDs(in: LabelSet([])), [[nil, nil]])
        let upos = try TaggingDataset.parse("1\ta\ta\tX\t_\t_\t_\t_\t_\t_\n", name: "u.conllu", format: .upos)
        XCTAssertEqual(try upos.tagIDs(in: LabelSet(["W", "X"])), [[1]])
    }

    func testFormatIsChosenByExtension() {
        XCTAssertEqual(TaggingFormat.detect(URL(fileURLWithPath: "x/en_ewt-ud-dev.conllu")), .upos)
        XCTAssertEqual(TaggingFormat.detect(URL(fileURLWithPath: "x/eng.train")), .conll2003)
    }

    func testErrorsNameFileAndLine() {
        let cases: [(name: String, format: TaggingFormat, content: String, tags: LabelSet?, line: Int?, says: String)] = [
            ("nine fields", .upos, "1\ta\ta\tX\t_\t_\t_\t_\t_\n", nil, 1, "expected 10 tab-separated fields (CoNLL-U), found 9"),
            ("spaces, not tabs", .upos, "# c\n1 a a X _ _ _ _ _ _\n", nil, 2, "found 1"),
            ("bad id", .upos, "x\ta\ta\tX\t_\t_\t_\t_\t_\t_\n", nil, 1, "expected a word id"),
            ("negative id", .upos, "1\ta\ta\tX\t_\t_\t_\t_\t_\t_\n-1\tb\tb\tX\t_\t_\t_\t_\t_\t_\n", nil, 2, "found \"-1\""),
            ("id 0", .upos, "0\ta\ta\tX\t_\t_\t_\t_\t_\t_\n", nil, 1, "expected a word id"),
            ("open range", .upos, "3-\ta\ta\tX\t_\t_\t_\t_\t_\t_\n", nil, 1, "expected a word id"),
            ("backward range", .upos, "4-3\ta\ta\tX\t_\t_\t_\t_\t_\t_\n", nil, 1, "expected a word id"),
            ("empty node .0", .upos, "1.0\ta\ta\tX\t_\t_\t_\t_\t_\t_\n", nil, 1, "expected a word id"),
            ("tag with NUL", .conll2003, "EU B-ORG\nrejects O\u{0}\n", nil, 2, "a label without control characters"),
            ("empty tag", .upos, "1\ta\ta\t\t_\t_\t_\t_\t_\t_\n", nil, 1, "found an empty field"),
            ("word without tag", .conll2003, "EU B-ORG\nrejects\n", nil, 2, "expected a word and a tag separated by white space, found 1 field(s)"),
            ("no such tag field", .columns(tagField: 4), "EU NNP B-ORG\n", nil, 1, "expected a tag in field 4"),
            ("unknown tag", .conll2003, "EU B-ORG\n\nHe O\nsaid B-VERB\n", LabelSet(["B-ORG", "O"]), 4,
             "unknown label \"B-VERB\"; the labels known are: B-ORG, O"),
            ("empty file", .upos, "", nil, nil, "the file is empty"),
            ("comments only", .upos, "# a\n# b\n\n", nil, nil, "the file holds no examples"),
            ("DOCSTART only", .conll2003, "-DOCSTART- O\n\n", nil, nil, "the file holds no examples"),
        ]
        let folder = TemporaryFolder()
        for c in cases {
            let url = folder.write("t.data", c.content)
            guard let error = dataError({ () throws(DataError) in try TaggingDataset.read(url, format: c.format, tags: c.tags) })
            else { XCTFail(c.name); continue }
            XCTAssertEqual(error.line, c.line, "\(c.name): \(error)")
            let prefix = c.line.map { "\(url.relativePath):\($0): " } ?? "\(url.relativePath): "
            XCTAssertTrue(error.description.hasPrefix(prefix), "\(c.name): \(error)")
            XCTAssertTrue(error.description.contains(c.says), "\(c.name): \(error)")
        }
    }
}

/// The sentiment example shipped in examples/sentiment.
final class ExampleDataTests: XCTestCase {
    func testSentimentExampleLoadsBalancedAndDisjoint() throws {
        let folder = TestPaths.packageRoot.appendingPathComponent("examples/sentiment")
        let train = try ClassificationDataset.read(folder.appendingPathComponent("train.tsv"))
        let labels = train.labelSet()
        let dev = try ClassificationDataset.read(folder.appendingPathComponent("dev.tsv"), labels: labels)
        XCTAssertEqual(labels.labels, ["negative", "positive"])
        XCTAssertEqual(train.labelCounts().map(\.count), [162, 162])
        XCTAssertEqual(dev.labelCounts().map(\.count), [50, 50])
        XCTAssertEqual(train.columns, .init(text: "text", pair: nil, label: "label"))
        XCTAssertEqual(Set(train.examples.map(\.text)).count, train.count, "no repeated training sentence")
        XCTAssertTrue(Set(train.examples.map(\.text)).isDisjoint(with: dev.examples.map(\.text)), "no dev sentence in training")
    }
}

/// The readers on samples of the real data sets, SST-2 and UD English EWT (Fixtures/data, written by
/// scripts/fixtures/sample_fixtures.py with the expected rows, words and tags of a plain Python reading);
/// with `BERTKIT_SHARED_DATA`, on the full shared files too (their counts, label sets and first rows).
final class SharedDataTests: XCTestCase {
    struct Row: Decodable { var text: String; var label: String; var line: Int }
    struct Sentence: Decodable { var words: [String]; var tags: [String]; var line: Int }
    struct TableSample: Decodable { var header: [String]; var rows: [Row]; var labels: [String] }
    struct TaggingSample: Decodable { var sentences: [Sentence]; var tags: [String] }
    struct TableFull: Decodable { var header: [String]; var rows: Int; var labels: [String]; var labelCounts: [Int]; var first: Row }
    struct TaggingFull: Decodable { var sentences: Int; var words: Int; var tags: [String]; var first: Sentence }
    struct Expected: Decodable {
        struct Samples: Decodable {
            var sst2Train, sst2Dev: TableSample
            var ewtTrain, ewtDev: TaggingSample
            enum CodingKeys: String, CodingKey {
                case sst2Train = "sst2-train.tsv", sst2Dev = "sst2-dev.tsv", ewtTrain = "ewt-train.conllu", ewtDev = "ewt-dev.conllu"
            }
        }
        struct Full: Decodable {
            var sst2Train, sst2Dev: TableFull
            var ewtTrain, ewtDev: TaggingFull
            enum CodingKeys: String, CodingKey {
                case sst2Train = "sst2/train.tsv", sst2Dev = "sst2/dev.tsv"
                case ewtTrain = "ud-ewt/en_ewt-ud-train.conllu", ewtDev = "ud-ewt/en_ewt-ud-dev.conllu"
            }
        }
        var samples: Samples
        var full: Full
    }

    static let folder = TestPaths.packageRoot.appending(path: "Tests/TransferTests/Fixtures/data")

    func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.folder.appending(path: "expected.json")))
    }

    func assertTable(_ data: ClassificationDataset, _ want: TableSample, _ name: String) {
        XCTAssertEqual(data.columns, .init(text: want.header[1], pair: nil, label: want.header[0]), name)
        XCTAssertEqual(data.count, want.rows.count, name)
        XCTAssertGreaterThan(data.count, 50, name)
        for (example, row) in zip(data.examples, want.rows) {
            XCTAssertEqual(example, ClassificationExample(text: row.text, label: row.label, line: row.line), name)
        }
        XCTAssertEqual(data.labelSet().labels, want.labels, name)
    }

    func assertTagging(_ data: TaggingDataset, _ want: TaggingSample, _ name: String) {
        XCTAssertEqual(data.count, want.sentences.count, name)
        XCTAssertGreaterThan(data.count, 20, name)
        for (sentence, expected) in zip(data.sentences, want.sentences) {
            XCTAssertEqual(sentence, TaggedSentence(words: expected.words, tags: expected.tags, line: expected.line), name)
        }
        XCTAssertEqual(data.tagSet().labels, want.tags, name)
    }

    func testSST2ReadsWithNoOptions() throws {
        let expected = try expected()
        let train = try ClassificationDataset.read(Self.folder.appending(path: "sst2-train.tsv"))
        let labels = train.labelSet()
        let dev = try ClassificationDataset.read(Self.folder.appending(path: "sst2-dev.tsv"), labels: labels)
        assertTable(train, expected.samples.sst2Train, "sst2-train sample")
        assertTable(dev, expected.samples.sst2Dev, "sst2-dev sample")
        XCTAssertEqual(try dev.labelIDs(in: labels).count, dev.count)

        guard let shared = try TestPaths.optInSharedData() else { return }
        for (path, want) in [("sst2/train.tsv", expected.full.sst2Train), ("sst2/dev.tsv", expected.full.sst2Dev)] {
            let start = Date()
            let data = try ClassificationDataset.read(shared.appending(path: path))
            print("\(path) read in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
            XCTAssertEqual(data.count, want.rows, path)
            XCTAssertEqual(data.columns, .init(text: want.header[1], pair: nil, label: want.header[0]), path)
            XCTAssertEqual(data.labelSet().labels, want.labels, path)
            XCTAssertEqual(data.labelCounts().map(\.count), want.labelCounts, path)
            XCTAssertEqual(data.examples.first, ClassificationExample(text: want.first.text, label: want.first.label, line: want.first.line), path)
            XCTAssertFalse(data.examples.contains { $0.text.contains("\r") }, path)
        }
    }

    func testEWTReadsWithUPOS() throws {
        let expected = try expected()
        let train = try TaggingDataset.read(Self.folder.appending(path: "ewt-train.conllu"))
        let dev = try TaggingDataset.read(Self.folder.appending(path: "ewt-dev.conllu"))
        assertTagging(train, expected.samples.ewtTrain, "ewt-train sample")
        assertTagging(dev, expected.samples.ewtDev, "ewt-dev sample")
        XCTAssertTrue(train.sentences.allSatisfy { $0.words.count == $0.tags.count && !$0.words.isEmpty })

        guard let shared = try TestPaths.optInSharedData() else { return }
        let fullTrain = try TaggingDataset.read(shared.appending(path: "ud-ewt/en_ewt-ud-train.conllu"))
        let tags = fullTrain.tagSet()
        let fullDev = try TaggingDataset.read(shared.appending(path: "ud-ewt/en_ewt-ud-dev.conllu"), tags: tags)
        for (data, want, path) in [(fullTrain, expected.full.ewtTrain, "train"), (fullDev, expected.full.ewtDev, "dev")] {
            XCTAssertEqual(data.count, want.sentences, path)
            XCTAssertEqual(data.wordCount, want.words, path)
            XCTAssertEqual(data.tagSet().labels, want.tags, path)
            XCTAssertEqual(data.sentences.first, TaggedSentence(words: want.first.words, tags: want.first.tags, line: want.first.line), path)
        }
        XCTAssertEqual(try fullDev.tagIDs(in: tags).count, fullDev.count)
    }
}
