// BertKit: one import for the whole library, plus the glue between tokenizers and models.
@_exported import Checkpoints
@_exported import Layers
@_exported import Models
@_exported import Tensor
@_exported import Tokenizers
@_exported import Transfer
