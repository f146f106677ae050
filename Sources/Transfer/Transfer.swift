// `Transfer` module.
