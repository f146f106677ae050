// Mirrors the settings sentence-transformers saves beside a model: `modules.json`,
// `sentence_bert_config.json` and the Pooling module's `config.json`.
import Foundation

/// How a sentence-transformers model turns token vectors into one sentence vector.
public struct SentenceTransformerConfig: Sendable, Equatable {
    /// One entry of `modules.json`: a stage of the pipeline.
    public struct Module: Sendable, Equatable {
        public var index: Int
        public var name: String
        /// The module's folder, relative to the model folder ("" for the transformer itself).
        public var path: String
        /// The Python class, such as `sentence_transformers.models.Pooling`.
        public var type: String

        public init(index: Int, name: String, path: String, type: String) {
            self.index = index
            self.name = name
            self.path = path
            self.type = type
        }

        /// The class name without its Python module: `Pooling`, `Normalize`, `Dense`.
        public var typeName: String { String(type.split(separator: ".").last ?? "") }
    }

    /// The modules in order; empty when there is no `modules.json`.
    public var modules: [Module]
    /// The pooling settings, or `nil` when no Pooling module's config was found.
    public var pooling: PoolingConfig?
    /// `true` when a `Normalize` module scales sentence vectors to unit length.
    public var normalize: Bool
    /// `max_seq_length` from `sentence_bert_config.json` (else, as sentence-transformers ≥ 6 saves it,
    /// `model_max_length` from `tokenizer_config.json`): longer inputs are truncated.
    public var maxSeqLength: Int?
    /// `do_lower_case` from `sentence_bert_config.json`.
    public var doLowerCase: Bool?

    public init(modules: [Module] = [], pooling: PoolingConfig? = nil, normalize: Bool = false,
                maxSeqLength: Int? = nil, doLowerCase: Bool? = nil) {
        self.modules = modules
        self.pooling = pooling
        self.normalize = normalize
        self.maxSeqLength = maxSeqLength
        self.doLowerCase = doLowerCase
    }

    /// The file names read, relative to the model folder.
    public static let modulesFileName = "modules.json"
    public static let settingsFileName = "sentence_bert_config.json"

    /// Reads the sentence-transformers settings of a model folder.
    ///
    /// The Pooling module's `config.json` is found through `modules.json`, or at `1_Pooling/` when
    /// there is no `modules.json`.
    ///
    /// - Returns: `nil` when the folder has none of these files (a plain transformers model).
    /// - Throws: ``CheckpointError`` naming the file and key when one is malformed.
    public static func load(from folder: URL) throws(CheckpointError) -> SentenceTransformerConfig? {
        let fileManager = FileManager.default
        let modulesURL = folder.appending(path: modulesFileName)
        let settingsURL = folder.appending(path: settingsFileName)
        var config = SentenceTransformerConfig()
        var found = false

        var poolingURL = folder.appending(path: "1_Pooling/config.json")
        if fileManager.fileExists(atPath: modulesURL.path) {
            found = true
            config.modules = try readModules(modulesURL)
            config.normalize = config.modules.contains { $0.typeName == "Normalize" }
            if let pooling = config.modules.first(where: { $0.typeName == "Pooling" }) {
                poolingURL = folder.appending(path: pooling.path).appending(path: "config.json")
            }
        }
        if fileManager.fileExists(atPath: poolingURL.path) {
            found = true
            config.pooling = try PoolingConfig(contentsOf: poolingURL)
        }
        if fileManager.fileExists(atPath: settingsURL.path) {
            found = true
            let json = try JSONConfig(contentsOf: settingsURL)
            config.maxSeqLength = try json.intIfPresent("max_seq_length")
            config.doLowerCase = try json.boolIfPresent("do_lower_case")
        }
        // sentence-transformers ≥ 6 keeps the length in the tokenizer's `model_max_length` instead (a huge
        // placeholder there means "no limit").
        let tokenizerURL = folder.appending(path: "tokenizer_config.json")
        if found, config.maxSeqLength == nil, fileManager.fileExists(atPath: tokenizerURL.path),
           let length = try JSONConfig(contentsOf: tokenizerURL).doubleIfPresent("model_max_length"),
           length >= 1, length < 1e9 {
            config.maxSeqLength = Int(length)
        }
        return found ? config : nil
    }

    private static func readModules(_ url: URL) throws(CheckpointError) -> [Module] {
        let data: Data
        do { data = try FileContents.read(url) } catch { throw CheckpointError(file: url, error) }
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch {
            throw CheckpointError(file: url, .invalidJSON(line: error.line, column: error.column, error.message))
        }
        guard let entries = root.arrayValue else {
            throw CheckpointError(file: url, .wrongType(expected: "an array of modules", found: root.excerpt))
        }
        var modules: [Module] = []
        for (position, entry) in entries.enumerated() {
            guard let object = entry.objectValue else {
                throw CheckpointError(file: url, key: "[\(position)]", .wrongType(expected: "an object", found: entry.excerpt))
            }
            let json = JSONConfig(values: object, file: url, keyPrefix: "[\(position)].")
            let path = try json.string("path", default: "")
            guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                throw json.error("path", .invalidValue("\"\(path)\" must be a folder inside the model folder"))
            }
            modules.append(Module(
                index: try json.int("idx", default: position),
                name: try json.string("name", default: String(position)),
                path: path,
                type: try json.string("type")))
        }
        return modules.sorted { $0.index < $1.index }
    }
}

/// The settings of a sentence-transformers Pooling module (`1_Pooling/config.json`).
public struct PoolingConfig: Sendable, Equatable {
    /// How token vectors are combined; a model may concatenate several.
    public enum Mode: String, Sendable, CaseIterable {
        /// The first token's vector (`[CLS]`).
        case cls = "pooling_mode_cls_token"
        /// The mean over non-padding tokens.
        case mean = "pooling_mode_mean_tokens"
        /// The element-wise maximum over non-padding tokens.
        case max = "pooling_mode_max_tokens"
        /// The sum over non-padding tokens divided by √(token count).
        case meanSqrtLength = "pooling_mode_mean_sqrt_len_tokens"
        /// A mean weighted by position.
        case weightedMean = "pooling_mode_weightedmean_tokens"
        /// The last non-padding token's vector.
        case lastToken = "pooling_mode_lasttoken"

        /// The name sentence-transformers ≥ 6 writes in `pooling_mode`.
        public var name: String {
            switch self {
            case .cls: "cls"
            case .mean: "mean"
            case .max: "max"
            case .meanSqrtLength: "mean_sqrt_len_tokens"
            case .weightedMean: "weightedmean"
            case .lastToken: "lasttoken"
            }
        }
    }

    /// The size of the token vectors, if the file says.
    public var wordEmbeddingDimension: Int?
    /// The modes switched on, in the order sentence-transformers concatenates them.
    public var modes: [Mode]

    public init(wordEmbeddingDimension: Int? = nil, modes: [Mode]) {
        self.wordEmbeddingDimension = wordEmbeddingDimension
        self.modes = modes
    }

    /// Reads a Pooling `config.json`; at least one mode must be on. Both layouts are read: one boolean per
    /// mode (`"pooling_mode_mean_tokens": true`, sentence-transformers < 6) and a `pooling_mode` name or list
    /// of names (`"pooling_mode": "mean"`, sentence-transformers ≥ 6).
    public init(contentsOf url: URL) throws(CheckpointError) {
        let json = try JSONConfig(contentsOf: url)
        var modes: [Mode] = []
        if json.contains("pooling_mode") {
            var names: [String] = []
            if let one = try? json.stringIfPresent("pooling_mode") { names = [one] }
            else if let many = try json.stringsIfPresent("pooling_mode") { names = many }
            for name in names {
                guard let mode = Mode.allCases.first(where: { $0.name == name }) else {
                    throw json.error("pooling_mode", .invalidValue(
                        "unknown pooling mode \"\(name)\"; expected one of \(Mode.allCases.map(\.name).joined(separator: ", "))"))
                }
                modes.append(mode)
            }
        } else {
            for mode in Mode.allCases where try json.bool(mode.rawValue, default: false) {
                modes.append(mode)
            }
        }
        guard !modes.isEmpty else {
            throw CheckpointError(file: url, .invalidValue(
                "no pooling mode is on; expected pooling_mode or one of \(Mode.allCases.map(\.rawValue).joined(separator: ", ")) to be true"))
        }
        var dimension = try json.intIfPresent("word_embedding_dimension")
        if dimension == nil { dimension = try json.intIfPresent("embedding_dimension") }
        self.init(wordEmbeddingDimension: dimension, modes: modes)
    }
}
