// `Tokenizers` module.
