import Foundation
import TestSupport
import XCTest
@testable import Checkpoints

final class JSONConfigTests: XCTestCase {
    func testJSONConfigGetters() throws {
        let json = try JSONConfig(data: Data("{\"n\": 3, \"x\": 2.0, \"s\": \"t\", \"b\": true, \"z\": null}".utf8), file: nil)
        XCTAssertEqual(try json.int("n"), 3)
        XCTAssertEqual(try json.int("x"), 2, "integral numbers are accepted as integers")
        XCTAssertEqual(try json.double("n"), 3)
        XCTAssertEqual(try json.string("s"), "t")
        XCTAssertEqual(try json.bool("b"), true)
        XCTAssertEqual(try json.int("z", default: 7), 7, "null takes the default")
        XCTAssertNil(try json.stringIfPresent("absent"))
        XCTAssertEqual(expectError { () throws(CheckpointError) in try json.int("absent") }?.reason, .missingField)
        XCTAssertEqual(expectError { () throws(CheckpointError) in try json.int("z") }?.reason,
                       .wrongType(expected: "a value", found: "null"))
        XCTAssertEqual(expectError { () throws(CheckpointError) in try json.bool("n") }?.reason,
                       .wrongType(expected: "a boolean (true or false)", found: "3 (an integer)"))
        XCTAssertFalse(json.contains("z"))
        XCTAssertTrue(json.contains("n"))
    }
}
