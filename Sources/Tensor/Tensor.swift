// `Tensor` module.
