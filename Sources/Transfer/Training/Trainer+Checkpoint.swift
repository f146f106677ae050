import Checkpoints
import Foundation
import Layers
import Tensor

/// Resumable checkpoints: the weights, the optimizer's moments and the trainer's position, written
/// to `checkpoint.partial/` and swapped in with renames, so a crash leaves the old checkpoint or
/// the new one.
extension Trainer {
    public static let checkpointName = "checkpoint"

    func saveCheckpoint(to output: URL) throws {
        guard communicator.isLeader else { return }   // every rank holds the same weights and state
        let fm = FileManager.default
        try fm.createDirectory(at: output, withIntermediateDirectories: true)
        let final = output.appending(path: Trainer.checkpointName)
        let partial = output.appending(path: Trainer.checkpointName + ".partial")
        let old = output.appending(path: Trainer.checkpointName + ".old")
        try? fm.removeItem(at: partial)
        try fm.createDirectory(at: partial, withIntermediateDirectories: true)

        var weights = SafeTensorsWriter()
        for p in model.store.parameters { weights.add(p.name, shape: p.shape, values: p.value.scalars) }
        try weights.write(to: partial.appending(path: "model.safetensors"))

        let optimizerState = optimizer.state()
        var moments = SafeTensorsWriter(metadata: optimizerState.metadata)
        for (name, tensor) in optimizerState.tensors.sorted(by: { $0.key < $1.key }) {
            moments.add(name, shape: tensor.shape, values: tensor.values)
        }
        try moments.write(to: partial.appending(path: "optimizer.safetensors"))

        if let best {
            var writer = SafeTensorsWriter()
            for p in model.store.parameters { if let v = best[p.name] { writer.add(p.name, shape: p.shape, values: v) } }
            try writer.write(to: partial.appending(path: "best.safetensors"))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(state), to: partial.appending(path: "trainer_state.json"))

        try? fm.removeItem(at: old)
        if fm.fileExists(atPath: final.path) { try fm.moveItem(at: final, to: old) }
        try fm.moveItem(at: partial, to: final)
        try? fm.removeItem(at: old)
    }

    func restore(from output: URL, batchesPerEpoch: Int, stepsPerEpoch: Int, data: String) throws {
        let fm = FileManager.default
        var folder = output.appending(path: Trainer.checkpointName)
        if !fm.fileExists(atPath: folder.appending(path: "trainer_state.json").path) {
            // A crash between the two renames leaves the previous checkpoint as checkpoint.old.
            folder = output.appending(path: Trainer.checkpointName + ".old")
        }
        let stateFile = folder.appending(path: "trainer_state.json")
        guard fm.fileExists(atPath: stateFile.path) else {
            throw TransferError.training("--resume: no checkpoint in \(output.path) (looked for \(Trainer.checkpointName)/trainer_state.json)")
        }
        let saved: State
        do { saved = try JSONDecoder().decode(State.self, from: Data(contentsOf: stateFile)) }
        catch let error as DecodingError { throw TransferError.invalidModelFolder(stateFile, "unreadable trainer state: \(error.oneLineDescription)") }
        catch { throw TransferError.invalidModelFolder(stateFile, "unreadable trainer state: \(error.localizedDescription)") }
        if let savedOptions = saved.options, savedOptions.withoutStopping != options.withoutStopping {
            throw TransferError.training("--resume: the checkpoint in \(folder.path) was made with other training options; resume with the same ones")
        }
        if let savedData = saved.data, savedData != data {
            throw TransferError.training("--resume: the checkpoint in \(folder.path) was made from other training data "
                + "(or another tokenizer or max length); resume with the same ones")
        }
        try Trainer.validate(saved, file: stateFile, epochs: options.epochs, batchesPerEpoch: batchesPerEpoch,
                             stepsPerEpoch: stepsPerEpoch, accumulation: options.gradientAccumulation)
        try model.store.load(from: SafeTensorsCheckpoint(contentsOf: folder.appending(path: "model.safetensors")))
        let moments = try SafeTensorsFile(url: folder.appending(path: "optimizer.safetensors"))
        var tensors: [String: StateTensor] = [:]
        for key in moments.keys { tensors[key] = StateTensor(shape: try moments.tensorInfo(key).shape, values: try moments.floats(key)) }
        try optimizer.restore(AdamWState(tensors: tensors, metadata: moments.metadata))
        let bestFile = folder.appending(path: "best.safetensors")
        if fm.fileExists(atPath: bestFile.path) {
            let file = try SafeTensorsFile(url: bestFile)
            var values: [String: [Float]] = [:]
            for key in file.keys { values[key] = try file.floats(key) }
            best = values
        }
        state = saved
    }
}

extension Trainer {
    /// Checks a hand-edited or damaged `trainer_state.json`: the position must be one this run's
    /// data and options can reach, and the numbers finite.
    static func validate(_ s: State, file: URL, epochs: Int, batchesPerEpoch: Int, stepsPerEpoch: Int, accumulation: Int) throws {
        func fail(_ key: String, _ text: String) -> TransferError {
            .invalidModelFolder(file, "\"\(key)\" \(text)")
        }
        guard (0...epochs).contains(s.epoch) else { throw fail("epoch", "must be in 0…\(epochs) (--epochs), found \(s.epoch)") }
        let lastBatch = s.epoch == epochs ? 0 : batchesPerEpoch
        guard (0...lastBatch).contains(s.nextBatch) else {
            throw fail("nextBatch", "must be in 0…\(lastBatch) for epoch \(s.epoch), found \(s.nextBatch)")
        }
        let step = s.epoch * stepsPerEpoch + (s.nextBatch + accumulation - 1) / accumulation
        guard s.globalStep == step else {
            throw fail("globalStep", "must be \(step) at epoch \(s.epoch), batch \(s.nextBatch), found \(s.globalStep)")
        }
        if let best = s.bestValue, !best.isFinite { throw fail("bestValue", "must be finite, found \(best)") }
        if let step = s.bestStep, !(0...s.globalStep).contains(step) {
            throw fail("bestStep", "must be in 0…\(s.globalStep), found \(step)")
        }
        guard s.evaluationsWithoutImprovement >= 0 else {
            throw fail("evaluationsWithoutImprovement", "must not be negative, found \(s.evaluationsWithoutImprovement)")
        }
        guard s.seconds.isFinite && s.seconds >= 0 else { throw fail("seconds", "must be a non-negative number, found \(s.seconds)") }
        guard s.epochSeconds.count <= epochs, s.epochSeconds.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw fail("epochSeconds", "must hold at most \(epochs) non-negative numbers")
        }
    }
}

extension TrainingOptions {
    /// The options that must agree between a run and its resumption.
    var withoutStopping: TrainingOptions {
        var o = self
        o.stopAfterSteps = nil
        o.checkpointEvery = nil
        return o
    }
}
