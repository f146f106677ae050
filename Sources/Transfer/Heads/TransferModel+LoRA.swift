import Foundation
import Layers
import Models

extension TransferModel {
    /// Attaches LoRA adapters to the encoder's dense layers that `settings.targets` name, then
    /// sets `trainable` for LoRA: the encoder's own weights frozen, the adapters and the head
    /// (with `pooler` pooling, the encoder's pooler too) trainable.
    ///
    /// - Returns: the adapted layers' names.
    /// - Throws: ``TransferError/invalidSetting(_:)`` when no layer matches a target, or the
    ///   model already has adapters.
    @discardableResult
    public func attachAdapters(_ settings: LoRASettings) throws(TransferError) -> [String] {
        guard adapters.isEmpty else { throw .invalidSetting("the model already has LoRA adapters") }
        let layers = try settings.attach(to: encoder, under: encoderPrefix, defaultTargets: LoRASettings.defaultTargets(for: config))
        lora = settings
        applyTrainability()
        return layers.map { $0.name }
    }

    /// The LoRA adapters attached to the encoder's dense layers, with their layers.
    public var adapters: [(layer: Linear, adapter: LoRA)] { Linear.adapters(in: encoder) }

    /// Merges every adapter into its layer's weight (W += s·B·A) and drops the adapters: the
    /// model is then a plain fine-tuned model with the same outputs, saved as `finetune`.
    public func mergeAdapters() {
        for (layer, _) in adapters { layer.mergeAdapter() }
        lora = nil
    }

    /// LoRA's trainability: called by ``applyTrainability()`` in `lora` mode.
    func applyLoRATrainability() {
        store.setTrainable(false, under: encoderPrefix)
        for (_, adapter) in adapters {
            adapter.a.trainable = true
            adapter.b.trainable = true
        }
        // The head trains fully: with pooler pooling, the encoder's pooler is part of it.
        if !head.task.isPerToken && head.pooling == .pooler && readsEncoderPooler {
            store.setTrainable(true, under: encoderPrefix + "pooler.")
        }
    }
}
