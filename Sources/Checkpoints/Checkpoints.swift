// `Checkpoints` module.
