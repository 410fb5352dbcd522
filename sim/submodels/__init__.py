"""The engine's submodels: one process per module, each working on whole arrays of households or persons."""
