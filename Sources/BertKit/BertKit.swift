// BertKit: one import for the whole library.
@_exported import Tensor
@_exported import Layers
@_exported import Checkpoints
@_exported import Tokenizers
@_exported import Models
@_exported import Transfer
