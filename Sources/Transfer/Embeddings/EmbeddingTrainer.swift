import Foundation
import Layers
import Models
import Tensor
import Tokenizers

/// Trains an ``EmbeddingModel`` on pairs with ``MultipleNegativesRankingLoss``, as sentence-transformers'
/// `fit` does: batches without duplicate texts (``NoDuplicatesBatches``), AdamW (weight decay 0.01, none
/// on biases and LayerNorm), linear warmup then linear decay, gradient clipping; after each epoch,
/// retrieval on a BEIR folder picks the best weights (MRR@10) and can stop early.
///
/// One forward pass embeds a batch's anchors, positives and hard negatives together. Under `mpirun`
/// each rank embeds a contiguous share of the batch's pairs; the vectors are gathered, so that the loss,
/// and its in-batch negatives, are the global batch's on every rank; each rank sends its own rows'
/// gradient back through its encoder, and the ranks sum the weights' gradients. Dropout masks are keyed
/// on each text's position in the global batch, so two ranks train the weights one process trains.
public final class EmbeddingTrainer {
    public let model: EmbeddingModel
    public let options: TrainingOptions
    public let loss: MultipleNegativesRankingLoss
    public var communicator = Communicator.single
    /// Called after every optimizer step.
    public var onProgress: ((TrainingProgress) -> Void)?
    /// Called after each epoch's retrieval evaluation: (epoch, metrics).
    public var onEvaluation: ((Int, RetrievalMetrics) -> Void)?

    let optimizer: AdamW

    /// sentence-transformers' `fit` learning rate; LoRA's own default with `lora`.
    public static let defaultLearningRate = 2e-5

    public init(model: EmbeddingModel, options: TrainingOptions, loss: MultipleNegativesRankingLoss) {
        self.model = model
        self.options = options
        self.loss = loss
        optimizer = AdamW(model.trainableParameters, schedule: .constant(peak: 0), weightDecay: options.weightDecay)
    }

    public var peakLearningRate: Double {
        options.learningRate ?? (model.mode == .lora ? LoRASettings.defaultLearningRate : EmbeddingTrainer.defaultLearningRate)
    }

    public struct Result: Sendable {
        /// Each step's loss (the global batch's).
        public var losses: [Double]
        /// Each epoch's retrieval metrics, when a dev folder was given.
        public var evaluations: [RetrievalMetrics]
        /// The epoch whose weights the model holds (1-based; the last when there was no dev folder).
        public var bestEpoch: Int
        public var steps: Int
        public var pairs: Int
        /// Training wall time (evaluations not included).
        public var trainSeconds: Double
        public var pairsPerSecond: Double { Double(pairs) / trainSeconds }
        public var stoppedEarly: Bool
    }

    /// The pairs' texts as ids of distinct strings, and each distinct string's encoding.
    struct Texts {
        var encodings: [Encoding]
        /// Per pair: anchor, positive (and negative) ids.
        var pairs: [[Int]]
    }

    func tokenize(_ data: PairDataset, tokenizer: Tokenizer) -> Texts {
        var ids: [String: Int] = [:], strings: [String] = []
        func id(_ s: String) -> Int {
            if let i = ids[s] { return i }
            ids[s] = strings.count
            strings.append(s)
            return strings.count - 1
        }
        let pairs = data.pairs.map { p in [id(p.anchor), id(p.positive)] + (p.negative.map { [id($0)] } ?? []) }
        var t = tokenizer
        t.truncation = Truncation(maxLength: model.maxLength)
        t.padding = nil
        return Texts(encodings: t.encodeBatch(strings), pairs: pairs)
    }

    /// Trains; with `dev`, evaluates retrieval after each epoch and ends with the best epoch's weights.
    public func fit(_ data: PairDataset, tokenizer: Tokenizer, dev: BEIRFolder? = nil) throws -> Result {
        guard options.batchSize >= 2 else {
            throw TransferError.invalidSetting("batch size \(options.batchSize): in-batch negatives need at least 2 pairs a batch")
        }
        try options.validate()
        let precision = options.precision ?? Precision.current
        guard precision != .int8 else { throw TransferError.invalidSetting("int8 is for inference; train in fp32 or bf16") }
        return try Precision.with(precision) { try fitInPrecision(data, tokenizer: tokenizer, dev: dev) }
    }

    func fitInPrecision(_ data: PairDataset, tokenizer: Tokenizer, dev: BEIRFolder?) throws -> Result {
        let texts = tokenize(data, tokenizer: tokenizer)
        let padId = tokenizer.padTokenId ?? 0
        let epochs = (0..<options.epochs).map {
            NoDuplicatesBatches.make(texts: texts.pairs, batchSize: options.batchSize, seed: options.seed, epoch: $0)
        }
        guard epochs[0].count > 0 else {
            throw TransferError.training("\(data.source): no batch of 2 pairs without a repeated text can be made")
        }
        let totalSteps = epochs.reduce(0) { $0 + $1.count }
        let warmup = Int((Double(totalSteps) * options.warmupRatio).rounded(.up))
        optimizer.schedule = .linear(peak: peakLearningRate, warmupSteps: warmup, totalSteps: totalSteps)
        let gradientSum: GradientSum? = communicator.size > 1
            ? GradientBuckets(parameters: optimizer.parameters, communicator: communicator) : nil

        var losses: [Double] = [], evaluations: [RetrievalMetrics] = []
        var best: (epoch: Int, mrr: Double, weights: [[Float]])?
        var trainSeconds = 0.0, pairsSeen = 0, step = 0, stoppedEarly = false, sinceBest = 0
        for (epoch, batches) in epochs.enumerated() {
            let epochStart = Date()
            var epochLoss = 0.0, epochPairs = 0
            for (b, batch) in batches.enumerated() {
                let value = try trainStep(batch, texts: texts, padId: padId, epoch: epoch, batch: b, gradientSum: gradientSum)
                guard value.isFinite else {
                    throw TransferError.training("training diverged at step \(step + 1): the loss is \(value); "
                        + "no model was saved. Lower the learning rate (now \(peakLearningRate))")
                }
                let norm = try gradientSum?.finish() ?? optimizer.gradientNorm()
                guard norm.isFinite else {
                    throw TransferError.training("training diverged at step \(step + 1): the gradient norm is \(norm); "
                        + "no model was saved. Lower the learning rate (now \(peakLearningRate))")
                }
                let lr = optimizer.learningRate
                optimizer.step(gradientScale: options.maxGradNorm.flatMap { clipCoefficient(norm: norm, maxNorm: Float($0)) })
                step += 1
                losses.append(value)
                epochLoss += value
                epochPairs += batch.count
                let elapsed = Date().timeIntervalSince(epochStart)
                onProgress?(TrainingProgress(step: step, totalSteps: totalSteps, epoch: epoch + 1, epochs: options.epochs,
                                             loss: epochLoss / Double(b + 1), learningRate: lr,
                                             examplesPerSecond: elapsed > 0 ? Double(epochPairs) / elapsed : 0))
            }
            trainSeconds += Date().timeIntervalSince(epochStart)
            pairsSeen += epochPairs
            guard let dev else { continue }
            let metrics = try RetrievalEvaluator().evaluate(dev) { try model.embed($0, tokenizer: tokenizer) }
            evaluations.append(metrics)
            onEvaluation?(epoch + 1, metrics)
            if best == nil || metrics.mrrAt10 > best!.mrr {
                best = (epoch + 1, metrics.mrrAt10, optimizer.parameters.map(\.value.scalars))
                sinceBest = 0
            } else {
                sinceBest += 1
                if let patience = options.earlyStoppingPatience, sinceBest >= patience { stoppedEarly = true; break }
            }
        }
        if let best, best.epoch != evaluations.count {
            for (p, values) in zip(optimizer.parameters, best.weights) {
                p.value.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = values[i] } }
            }
        }
        return Result(losses: losses, evaluations: evaluations, bestEpoch: best?.epoch ?? options.epochs, steps: step,
                      pairs: pairsSeen, trainSeconds: trainSeconds, stoppedEarly: stoppedEarly)
    }

    /// One batch's forward and backward pass (gradients left in the parameters, or summed over the
    /// ranks by `gradientSum`); returns the global batch's loss.
    func trainStep(_ batch: [Int], texts: Texts, padId: Int32, epoch: Int, batch index: Int, gradientSum: GradientSum?) throws -> Double {
        let size = batch.count, columns = texts.pairs[batch[0]].count
        // This rank's contiguous share of the pairs, and its rows in the column-major text list
        // (anchors, then positives, then negatives).
        let shares = Trainer.balancedShares(lengths: batch.map { texts.pairs[$0].map { texts.encodings[$0].count }.reduce(0, +) },
                                            parts: communicator.size)
        let mine = shares[communicator.rank]
        let rows = (0..<columns).flatMap { c in mine.map { c * size + $0 } }
        let encodings = rows.map { texts.encodings[texts.pairs[batch[$0 % size]][$0 / size]] }
        var generator = SeededGenerator(seed: SeededGenerator.mix(options.seed, UInt64(epoch) &+ 1, UInt64(index)))
        generator.sequenceKeys = .init(keys: rows.map { UInt64($0) }, lengths: encodings.map(\.count))
        let context = ForwardContext.training(RandomStream(generator))
        gradientSum?.prepareStep(viewing: true)
        let hook = gradientSum?.gradientReady
        let input = EmbeddingModel.input(encodings, padId: padId)
        guard communicator.size > 1 else {
            let vectors = try model(input, context: context)
            let value = loss(anchors: vectors.sliced(axis: 0, 0..<size), candidates: vectors.sliced(axis: 0, size..<(columns * size)))
            value.backward(onLeafReady: hook)
            return Double(value.item)
        }
        // Gather every rank's vectors into the global batch's rows; the loss's gradient for this rank's
        // rows goes back through its encoder.
        let local = try rows.isEmpty ? nil : model(input, context: context)
        let dim = model.config.hiddenSize
        let gathered = try communicator.allGather(local?.scalars ?? [])
        var all = [Float](repeating: 0, count: columns * size * dim)
        for (r, values) in gathered.enumerated() {
            let theirs = (0..<columns).flatMap { c in shares[r].map { c * size + $0 } }
            for (k, row) in theirs.enumerated() { for j in 0..<dim { all[row * dim + j] = values[k * dim + j] } }
        }
        let vectors = Tensor(shape: [columns * size, dim], scalars: all, requiresGrad: true)
        let value = loss(anchors: vectors.sliced(axis: 0, 0..<size), candidates: vectors.sliced(axis: 0, size..<(columns * size)))
        value.backward()
        if let local, let g = vectors.grad?.scalars {
            let seed = rows.flatMap { row in g[(row * dim)..<((row + 1) * dim)] }
            local.backward(Tensor(shape: local.shape, scalars: seed), onLeafReady: hook)
        }
        return Double(value.item)
    }
}
