import Foundation
import XCTest
@testable import BertKitJSON

final class JSONTests: XCTestCase {
    func testParsesValues() throws {
        let cases: [(text: String, value: JSONValue)] = [
            ("null", .null), ("true", true), ("false", false), ("0", 0), ("-12", -12),
            ("9223372036854775807", .int(Int.max)), ("9223372036854775808", .double(9223372036854775808)),
            ("1.5", 1.5), ("1e-12", 1e-12), ("-2.5E+3", -2500.0), ("NaN", .double(.nan)),
            ("-Infinity", .double(-.infinity)), ("\"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\"", "a\"b\\c\né😀"),
            ("\"héllo\"", "héllo"), (" [1, [], {}] ", [1, [], [:]]), ("{\"a\": {\"b\": [true, null]}}", ["a": ["b": [true, .null]]]),
            ("\u{FEFF}{}", [:]),
        ]
        for (text, expected) in cases {
            let parsed = try JSONValue.parse(Array(text.utf8))
            if case .double(let d) = expected, d.isNaN {
                XCTAssert(parsed.doubleValue?.isNaN == true, text)
            } else {
                XCTAssertEqual(parsed, expected, text)
            }
        }
    }

    func testSyntaxErrorsGiveLineAndColumn() {
        let cases: [(text: String, line: Int, column: Int, mentions: String)] = [
            ("", 1, 1, "end of text"),
            ("{\n  \"a\": 1,\n  \"b\": tru\n}", 3, 8, "expected a value"),
            ("[1, 2", 1, 6, "']'"),
            ("{\"a\" 1}", 1, 6, "':'"),
            ("01", 1, 2, "after the end"),
            ("1.", 1, 3, "digit"),
            ("\"abc", 1, 5, "unterminated"),
            ("\"a\tb\"", 1, 3, "control character"),
            ("\"\\x\"", 1, 3, "invalid escape"),
            ("\"\\ud800\"", 1, 8, "surrogate"),
            ("{\"k\": 1, \"k\": 2}", 1, 10, "duplicate key \"k\""),
            ("{} {}", 1, 4, "after the end"),
            (String(repeating: "[", count: 200), 1, 129, "nesting deeper than 128"),
        ]
        for (text, line, column, mentions) in cases {
            do {
                let value = try JSONValue.parse(Array(text.utf8))
                XCTFail("\(text.debugDescription) parsed as \(value)")
            } catch {
                XCTAssertEqual(error.line, line, "\(text.debugDescription): \(error)")
                XCTAssertEqual(error.column, column, "\(text.debugDescription): \(error)")
                XCTAssert(error.message.contains(mentions), "\(text.debugDescription): \(error)")
            }
        }
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xFF, 0x22]), "invalid UTF-8 in a string")
        // The one nesting limit: as deep as it allows still parses.
        let deepest = String(repeating: "[", count: JSONValue.maxDepth) + String(repeating: "]", count: JSONValue.maxDepth)
        XCTAssertNoThrow(try JSONValue.parse(Array(deepest.utf8)))
    }

    /// The pretty layout is Python's json.dumps(indent=2, sort_keys=True), as transformers writes config.json.
    func testSerializesLikePython() throws {
        let value: JSONValue = [
            "b": [1, 2.5, "x\n\"y\"", .null, true],
            "a": ["nested": [:], "list": []],
            "eps": 1e-12, "small": 0.1, "large": 1e+16, "int": 30522,
        ]
        XCTAssertEqual(value.serialized(indent: 2), """
            {
              "a": {
                "list": [],
                "nested": {}
              },
              "b": [
                1,
                2.5,
                "x\\n\\"y\\"",
                null,
                true
              ],
              "eps": 1e-12,
              "int": 30522,
              "large": 1e+16,
              "small": 0.1
            }
            """)
        XCTAssert(value.serialized(indent: nil).hasPrefix("{\"a\":{\"list\":[],\"nested\":{}},\"b\":[1,2.5,"))
        XCTAssertEqual(try JSONValue.parse(Array(value.serialized().utf8)), value)
        XCTAssertEqual(JSONValue.string("\u{01}").serialized(), "\"\\u0001\"")
    }

    /// The one escaper: DEL, C1 controls and the line and paragraph separators are escaped too, and
    /// every string reads back as itself.
    func testQuotedEscapesEveryControlCharacterAndReadsBack() throws {
        XCTAssertEqual(JSONWriter.string("a\u{7F}b\u{85}c\u{2028}d\u{2029}"), "\"a\\u007fb\\u0085c\\u2028d\\u2029\"")
        XCTAssertEqual(JSONWriter.string("\u{08}\u{0C}\u{1F}é😀"), "\"\\b\\f\\u001fé😀\"")
        for text in ["", "plain", "quote \" backslash \\ tab \t", "\u{00}\u{7F}\u{9F}\u{2028}", "日本語 😀"] {
            XCTAssertEqual(try JSONValue.parse(Array(JSONWriter.string(text).utf8)), .string(text), text.debugDescription)
        }
    }

    /// The pieces the command line and the server write by hand: JSON has no NaN or infinity.
    func testWriterNumbers() {
        let values: [Float] = [1, -0.5, .nan, .infinity]
        XCTAssertEqual(JSONWriter.floats(values), "[1.0,-0.5,null,null]")
        XCTAssertEqual(JSONWriter.floats(values.prefix(0)), "[]")
        XCTAssertEqual(JSONWriter.ints([Int32(3), 0, -7]), "[3,0,-7]")
    }
}
