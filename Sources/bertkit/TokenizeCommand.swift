import ArgumentParser
import BertKit
import Foundation

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize stdin lines; write one JSON object per line (ids, tokens, offsets, type_ids).",
        discussion: """
            Offsets count Unicode scalars of the input line, as Hugging Face tokenizers report them.
            Special tokens are included; nothing is truncated unless --max-length is given.

              echo "Hello, world" | bertkit tokenize --model sentence-transformers/all-MiniLM-L6-v2
            """
    )

    @OptionGroup var model: ModelOptions
    @OptionGroup var input: InputOptions
    @Option(help: "Split each line at the first occurrence of this string into a text and its pair.")
    var pairSeparator: String?
    @Option(help: "Truncate to this many tokens (special tokens included).")
    var maxLength: Int?

    func run() throws {
        var tokenizer = try Tokenizer.load(model.model, revision: model.revision)
        if let maxLength {
            guard maxLength > 0 else { throw ValidationError("--max-length must be positive") }
            tokenizer.truncation = Truncation(maxLength: maxLength)
        }
        if pairSeparator == "" { throw ValidationError("--pair-separator must not be empty") }
        var reader = LineReader(options: input)
        let out = StandardOutput.shared
        while let lines = try reader.nextWindow(maxLines: 256) {
            for line in lines {
                let encoding: Encoding
                if let separator = pairSeparator, let range = line.range(of: separator) {
                    encoding = tokenizer.encode(String(line[..<range.lowerBound]), pair: String(line[range.upperBound...]))
                } else {
                    encoding = tokenizer.encode(line)
                }
                try out.append("{\"ids\":\(JSONWriter.ints(encoding.ids)),\"tokens\":[\(encoding.tokens.map(JSONWriter.string).joined(separator: ","))],"
                    + "\"offsets\":[\(encoding.offsets.map { "[\($0.lowerBound),\($0.upperBound)]" }.joined(separator: ","))],"
                    + "\"type_ids\":\(JSONWriter.ints(encoding.typeIds))}\n")
            }
            try out.flush()
        }
    }
}
