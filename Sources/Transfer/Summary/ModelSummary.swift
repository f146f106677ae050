import Layers
import Models

/// A Keras-style model summary: one row per block with its output shape, parameter count and
/// whether it trains, then the totals.
///
/// ```text
/// Layer (type)                       Output Shape        Param #  Trainable
/// bert.embeddings (BertEmbeddings)   (None, None, 384)   11,918,592  No
/// …
/// Total params: 22,566,146
/// Trainable params: 770
/// Non-trainable params: 22,565,376
/// ```
public struct ModelSummary: Sendable, CustomStringConvertible {
    public struct Row: Sendable {
        public var name: String
        public var type: String
        public var outputShape: String
        public var parameters: Int
        public var trainableParameters: Int
    }

    public var title: String
    public var rows: [Row]

    public var totalParameters: Int { rows.reduce(0) { $0 + $1.parameters } }
    public var trainableParameters: Int { rows.reduce(0) { $0 + $1.trainableParameters } }
    public var nonTrainableParameters: Int { totalParameters - trainableParameters }

    /// Rows for the parameters under each prefix, in order. LoRA adapters' parameters are left
    /// out: they have rows of their own (``adapterRows(_:under:)``).
    static func row(_ store: ParameterStore, prefix: String, name: String? = nil, type: String, shape: String) -> Row {
        let params = store.parameters(under: prefix).filter { !ParameterStore.isAdapterParameter($0.name) }
        return Row(name: name ?? String(prefix.dropLast()), type: type, outputShape: shape,
                   parameters: params.reduce(0) { $0 + $1.count },
                   trainableParameters: params.filter(\.trainable).reduce(0) { $0 + $1.count })
    }

    /// The encoder's rows: embeddings, each layer (followed by its LoRA adapters), the pooler.
    static func encoderRows(_ model: EncoderModel) -> [Row] {
        let h = model.hiddenSize
        return model.blocks.flatMap { block in
            [row(model.store, prefix: block.prefix, type: block.type,
                 shape: block.prefix.hasSuffix("pooler.") ? "(None, \(h))" : "(None, None, \(h))")]
                + adapterRows(model, under: block.prefix)
        }
    }

    /// One row per LoRA adapter under `prefix`: `….attention.self.query.lora (LoRA: r=8, alpha=16)`.
    static func adapterRows(_ model: EncoderModel, under prefix: String) -> [Row] {
        Linear.adapters(in: model).filter { $0.layer.name.hasPrefix(prefix) }.map { layer, adapter in
            let params = [adapter.a, adapter.b]
            let alpha = adapter.alpha == adapter.alpha.rounded() ? String(Int(adapter.alpha)) : String(adapter.alpha)
            return Row(name: layer.name + ".lora", type: "LoRA: r=\(adapter.rank), alpha=\(alpha)",
                       outputShape: "(None, None, \(layer.outFeatures))",
                       parameters: params.reduce(0) { $0 + $1.count },
                       trainableParameters: params.filter(\.trainable).reduce(0) { $0 + $1.count })
        }
    }

    /// The bare encoder, as transformers' `AutoModel` loads it.
    public init(encoder: EncoderModel) {
        title = String(describing: type(of: encoder))
        rows = ModelSummary.encoderRows(encoder)
    }

    /// An encoder with its task head.
    public init(model: TransferModel) {
        let head = model.head
        let tagging = head.task.isPerToken
        title = model.architecture + " (mode: \(model.mode))"
        rows = ModelSummary.encoderRows(model.encoder)
        var width = head.features.width(hidden: model.config.hiddenSize)
        let lead = tagging ? "(None, None, " : "(None, "
        if head.features != .last {
            rows.append(Row(name: "features", type: "Features: \(head.features)", outputShape: "(None, None, \(width))", parameters: 0, trainableParameters: 0))
        }
        if !tagging && !(head.pooling == .pooler && model.readsEncoderPooler) {
            let pooling = head.pooling == .pooler ? "cls" : head.pooling.rawValue
            rows.append(Row(name: "pooling", type: "Pooling: \(pooling)", outputShape: "(None, \(width))", parameters: 0, trainableParameters: 0))
        }
        rows.append(Row(name: "dropout", type: "Dropout", outputShape: lead + "\(width))", parameters: 0, trainableParameters: 0))
        if let pre = model.preClassifier {
            width = pre.outFeatures
            let name = String(pre.weight.name.dropLast(".weight".count))
            rows.append(ModelSummary.row(model.store, prefix: name + ".", type: "Dense: \(model.hiddenActivation.rawValue)", shape: lead + "\(width))"))
        }
        let output = String(model.classifier.weight.name.dropLast(".weight".count))
        rows.append(ModelSummary.row(model.store, prefix: output + ".", type: "Dense", shape: lead + "\(head.outputs))"))
    }

    public var description: String {
        let header = ["Layer (type)", "Output Shape", "Param #", "Trainable"]
        let body = rows.map { r -> [String] in
            let trainable = r.parameters == 0 ? "-" : r.trainableParameters == r.parameters ? "Yes" : r.trainableParameters == 0 ? "No" : "Partly"
            return ["\(r.name) (\(r.type))", r.outputShape, ModelSummary.grouped(r.parameters), trainable]
        }
        let all = [header] + body
        let widths = (0..<4).map { c in all.map { $0[c].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == 2 ? String(repeating: " ", count: widths[i] - cell.count) + cell
                    : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "   ").trimmingTrailingSpaces()
        }
        let rule = String(repeating: "─", count: widths.reduce(0, +) + 9)
        var lines = ["Model: \"\(title)\"", rule, line(header), rule]
        lines += body.map(line)
        lines += [rule, "Total params: \(ModelSummary.grouped(totalParameters))",
                  "Trainable params: \(ModelSummary.grouped(trainableParameters))",
                  "Non-trainable params: \(ModelSummary.grouped(nonTrainableParameters))", rule]
        return lines.joined(separator: "\n")
    }

    /// 22565376 → "22,565,376".
    public static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}

extension TransferModel {
    /// The Keras-style summary of this model.
    public func summary() -> ModelSummary { ModelSummary(model: self) }
}
