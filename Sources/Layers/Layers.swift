// `Layers` module.
