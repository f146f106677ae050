// `Models` module.
